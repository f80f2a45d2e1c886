"""``gradguard report`` and ``gradguard inspect``: what a run record holds, as HTML or in the terminal."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.table import Table

from ..errors import RecordError
from ..record import RunRecord, open_run
from ..record.schema import RUN_FILE
from ._app import app, console, existing_path


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (or its run.sqlite).")],
    output: Annotated[Path | None, typer.Option("-o", "--output",
            help="Where to write the HTML \\[default: RUN_DIR/report.html]; missing folders are created.")] = None,
    compare: Annotated[Path | None, typer.Option("--compare",
            help="Another run whose loss is drawn alongside.")] = None,
) -> None:
    """Write the self-contained HTML report (plots, events, causes, metadata) of a run record."""
    from ..report import write_report

    existing_path(run_dir, "run directory")
    if compare is not None:
        existing_path(compare, "run directory")
    created = output is not None and not output.expanduser().absolute().parent.exists()
    path = write_report(run_dir, output, compare=compare)
    if created:
        console.print(f"Created the folder {_fmt(path.parent)}")
    console.print(f"Report: [bold]{_fmt(path)}[/] ({path.stat().st_size / 1e6:.2f} MB)")


def _fmt(value: Any) -> str:
    """A record value as rich-safe text: numbers to 4 digits, JSON cut at 90 characters, markup escaped (a record
    holds the user's layer names and messages, and ``[/]`` is a valid module name)."""
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, (dict, list)):
        text = json.dumps(value, default=str)
        return escape(text if len(text) <= 90 else text[:89] + "…")
    return escape(str(value))


def _worst_layers(run: RunRecord, top: int) -> Table:
    table = Table(title="Worst layers", title_justify="left")
    for column in ("layer", "max ‖g‖", "median ‖g‖", "non-finite steps", "max update ratio"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    g = run.layer_stat("grad_norm").astype(np.float64)
    if g.size == 0:
        return table
    bad = (~np.isfinite(g) & run.layer_stat("has_grad")).sum(axis=0)
    finite = np.where(np.isfinite(g), g, np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gmax, gmed = np.nanmax(finite, axis=0), np.nanmedian(finite, axis=0)
            ratio = run.updates("update_ratio").astype(np.float64)
            rmax = np.nanmax(np.where(np.isfinite(ratio), ratio, np.nan), axis=0) if ratio.size else \
                np.full(run.num_layers, np.nan)
    score = bad * 1e300 + np.nan_to_num(gmax, nan=0.0)
    for i in np.argsort(-score, kind="stable")[:top]:
        table.add_row(_fmt(run.layers[i]), _fmt(float(gmax[i])), _fmt(float(gmed[i])), str(int(bad[i])),
                      _fmt(float(rmax[i])))
    return table


def _list_runs(folder: Path) -> None:
    """A table of the run records under ``folder`` (up to 3 levels down): steps, skips, events, last loss."""
    found = sorted({p.parent for pattern in (RUN_FILE, f"*/{RUN_FILE}", f"*/*/{RUN_FILE}", f"*/*/*/{RUN_FILE}")
                    for p in folder.glob(pattern)})
    if not found:
        raise RecordError(f"No run record in {str(folder)!r} or the folders below it (looked for {RUN_FILE}).")
    table = Table(title=f"{len(found)} run record(s) under {_fmt(folder)}; inspect one with: gradguard inspect DIR",
                  title_justify="left")
    for column in ("run", "steps", "skipped", "events", "last loss"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for run_dir in found:
        name = _fmt(run_dir.relative_to(folder))
        try:
            with open_run(run_dir) as run:
                s = run.steps
                losses = s["loss"][np.isfinite(s["loss"])]
                table.add_row(name, str(len(s["step"])), str(int((~s["applied"]).sum())), str(len(run.events)),
                              _fmt(float(losses[-1])) if len(losses) else "–")
        except RecordError as exc:
            table.add_row(name, "–", "–", "–", _fmt(f"unreadable: {exc}")[:60])
    console.print(table)


def _attributions(events: list[dict[str, Any]], limit: int) -> None:
    """The attributions of spikes (one per step), as ``gradguard attribute`` prints them."""
    from ._attribute import format_attribution

    done: dict[int, tuple[str, dict[str, Any]]] = {}
    for e in events:
        found = (e.get("evidence") or {}).get("attribution")
        if isinstance(found, dict) and e["step"] not in done:
            done[e["step"]] = (e["kind"], found)
    for step, (kind, found) in list(done.items())[:limit]:
        console.print(f"[bold]Attribution[/] of step {step} ({_fmt(kind)})")
        for line in format_attribution(found):
            console.print(escape(line))


@app.command()
def inspect(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (or its run.sqlite).")],
    limit: Annotated[int, typer.Option("--limit", min=0, help="Show at most this many events and skipped steps.")] = 30,
    layers: Annotated[int, typer.Option("--layers", min=0, help="How many of the worst layers to list.")] = 5,
) -> None:
    """Summarise a run record in the terminal: metadata, events with their causes, skipped steps, worst layers.

    Given a folder that holds run records further down (e.g. ``runs/``), list them instead."""
    existing_path(run_dir, "run directory")
    if run_dir.is_dir() and not (run_dir / RUN_FILE).exists():
        _list_runs(run_dir)
        return
    with open_run(run_dir) as run:
        s = run.steps
        n = len(s["step"])
        meta = run.meta
        model, opt = meta.get("model") or {}, meta.get("optimizer") or {}
        settings = meta.get("settings") or {}
        console.rule(f"[bold]{_fmt(run.path)}")
        info = {"model": f"{model.get('class', '?')}, {model.get('parameters', '?')} parameters, "
                         f"{run.num_layers} layers" if isinstance(model, dict) else model,
                "optimizer": opt.get("class", opt) if isinstance(opt, dict) else opt,
                "policy": settings.get("policy", "?") if isinstance(settings, dict) else "?",
                "versions": meta.get("versions", {})}
        for key, value in info.items():
            console.print(f"[dim]{key:>10}[/] {_fmt(value)}")
        skipped = np.flatnonzero(~s["applied"]) if n else np.array([], dtype=int)
        losses = s["loss"][np.isfinite(s["loss"])]
        console.print(f"[dim]{'steps':>10}[/] {n} (skipped {len(skipped)}, clipped "
                      f"{int(np.sum(s['clip_coef'] < 1.0)) if n else 0}, non-finite losses "
                      f"{int(np.sum(s['has_loss'] & ~np.isfinite(s['loss']))) if n else 0})")
        if len(losses):
            console.print(f"[dim]{'loss':>10}[/] first {_fmt(float(losses[0]))}, last {_fmt(float(losses[-1]))}, "
                          f"min {_fmt(float(losses.min()))}")
        events = run.events
        counts = Counter(e["kind"] for e in events)
        table = Table(title=f"Events ({', '.join(f'{_fmt(k)} {v}' for k, v in counts.most_common()) or 'none'})",
                      title_justify="left")
        for column in ("step", "kind", "severity", "message", "top causes"):
            table.add_column(column, justify="right" if column == "step" else "left")
        for e in events[:limit]:
            causes = ", ".join(f"{_fmt(c.get('cause'))} ({_fmt(c.get('confidence'))})" for c in e["causes"][:3]
                               if isinstance(c, dict))
            table.add_row(str(e["step"]), _fmt(e["kind"]), _fmt(e["severity"]), _fmt(e["message"]), causes or "–")
        console.print(table)
        if len(events) > limit:
            console.print(f"… {len(events) - limit} more events (--limit)")
        _attributions(events, limit)
        if len(skipped):
            reasons = run.reasons
            shown = ", ".join(f"{int(s['step'][i])} ({_fmt(reasons[i] or '?')})" for i in skipped[:limit])
            console.print(f"[bold]Skipped steps[/]: {shown}{' …' if len(skipped) > limit else ''}")
        if layers:
            console.print(_worst_layers(run, layers))
