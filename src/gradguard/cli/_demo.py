"""``gradguard demo``: the fragile job unguarded and guarded, side by side, live."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..decision import StepReport
from ._app import app, console

MAX_EVENT_LINES = 12


def _loss(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}" if math.isfinite(value) else f"[bold red]{value}[/]"


@app.command()
def demo(
    steps: Annotated[int, typer.Option("--steps", min=1, help="Optimizer steps per run.")] = 600,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the weights, the data and its corrupt records.")] = 0,
    out: Annotated[Path, typer.Option("--out",
            help="Directory for both run records and the report.")] = Path("gradguard-demo"),
) -> None:
    """Train a model known to blow up twice, unguarded and guarded, on the same batches; then report.

    The model is a deep ReLU MLP with a too-large initialisation, trained with SGD + momentum on a data stream that
    carries a few corrupt records. Unguarded, its weights turn NaN; guarded with the default policy, it trains.
    """
    from ..demo import run_demo

    console.print(f"[bold]gradguard demo[/]: {steps} steps, seed {seed}; records under {out}/")
    shown = {"n": 0}
    with Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("loss {task.fields[loss]:>10}  skipped {task.fields[skipped]:>3}  {task.fields[state]}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        tasks = {name: progress.add_task(name, total=steps, loss="–", skipped=0, state="")
                 for name in ("unguarded", "guarded")}
        skipped = {"unguarded": 0, "guarded": 0}

        def on_step(name: str, report: StepReport) -> None:
            skipped[name] += int(report.skipped)
            bad = report.loss is not None and not math.isfinite(report.loss)
            progress.update(tasks[name], completed=report.step + 1, loss=_loss(report.loss), skipped=skipped[name],
                            state="[bold red]loss not finite[/]" if bad else "")
            for e in report.events:
                if e.kind == "skip" and name == "guarded":
                    continue
                shown["n"] += 1
                if shown["n"] <= MAX_EVENT_LINES:
                    colour = {"critical": "red", "warning": "yellow"}.get(e.severity, "cyan")
                    progress.console.print(f"  [{colour}]{name:>9} step {e.step:>5} {e.kind:<10}[/] {e.message}")
                elif shown["n"] == MAX_EVENT_LINES + 1:
                    progress.console.print("  … more events in the records (gradguard inspect)")

        result = run_demo(steps=steps, seed=seed, out=out, on_step=on_step)

    table = Table(title=f"gradguard demo: {steps} steps in {result.seconds:.1f} s")
    for column in ("run", "first loss", "final loss", "NaN/Inf", "skipped", "outcome"):
        table.add_column(column, justify="left" if column in ("run", "outcome") else "right")
    for run in (result.unguarded, result.guarded):
        if run.died_at is not None:
            outcome = f"[red]weights NaN at step {run.died_at}[/]"
        elif run.halted is not None:
            outcome = "[yellow]halted by the guard[/]"
        else:
            outcome = f"[green]trained {len(run.losses)} steps[/]"
        table.add_row(f"{run.name} ({run.policy})", _loss(run.first_loss), _loss(run.final_loss),
                      str(run.nonfinite_steps), str(run.skipped), outcome)
    console.print(table)
    for run in (result.unguarded, result.guarded):
        console.print(f"events of {run.name}: " + (", ".join(f"{k} {v}" for k, v in sorted(run.events.items()))
                                                  or "none"))
    if result.guard_helped:
        console.print("[green]The guarded run ended with a finite loss, well below the unguarded one.[/]")
    else:
        console.print("[yellow]This time the guarded run did not end clearly better than the unguarded one.[/]")
    _report(result.out)


def _report(out: Path) -> None:
    from .._optional import is_available

    if not is_available("matplotlib"):
        console.print('Report skipped: it needs matplotlib (pip install "gradguard[report]").')
        return
    from ..report import write_report

    path = write_report(out / "guarded", out / "report.html", compare=out / "unguarded",
                        title="gradguard demo — the guarded run (unguarded loss dashed)")
    console.print(f"Records: {out / 'unguarded'}  {out / 'guarded'}")
    console.print(f"Report:  [bold]{path}[/]")
