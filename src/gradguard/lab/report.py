"""The lab report: a Markdown table (claim | setup | measured | verdict) and a self-contained HTML page with
inline SVG plots (matplotlib, imported only here; Okabe-Ito colour-blind-safe palette)."""

from __future__ import annotations

import html
import io
import math
import platform
from collections.abc import Sequence
from pathlib import Path

import torch

from .._optional import require
from ._core import SEED, LabResult, Plot

#: Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _environment(seconds: float) -> str:
    from . import THREADS

    return (f"torch {torch.__version__}, Python {platform.python_version()}, {THREADS} CPU "
            f"thread(s); every experiment seeded with torch.manual_seed({SEED}); total {seconds:.0f} s")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(results: Sequence[LabResult], seconds: float) -> str:
    """The summary table, then each experiment's own table."""
    lines = ["# gradguard lab", "", _environment(seconds), "",
             "| # | claim (seed) | setup | measured | verdict |", "|---|---|---|---|---|"]
    for i, r in enumerate(results, 1):
        lines.append(f"| {i} | {_cell(r.claim)} ({_cell(r.source)}) | {_cell(r.setup)} | {_cell(r.measured)} | "
                     f"**{_cell(str(r.verdict))}** |")
    for r in results:
        lines += ["", f"## {r.name}: {_cell(str(r.verdict))}", "",
                  "| " + " | ".join(map(_cell, r.headers)) + " |", "|" + "---|" * len(r.headers)]
        lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in r.rows]
    return "\n".join(lines) + "\n"


def _svg(plot: Plot) -> str:
    plt = require("matplotlib.pyplot", "the lab report's plots")
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    try:
        if plot.kind == "bar":
            n = max(len(plot.series), 1)
            width = 0.8 / n
            for i, (name, (xs, ys)) in enumerate(plot.series.items()):
                ax.bar([x - 0.4 + width * (i + 0.5) for x in xs], ys, width, label=name, color=PALETTE[i % 8],
                       hatch=("", "//", "..", "xx")[i % 4], edgecolor="black", linewidth=0.5)
        else:
            for i, (name, (xs, ys)) in enumerate(plot.series.items()):
                clean = [y if isinstance(y, float) and math.isfinite(y) and (y > 0 or not plot.logy) else math.nan
                         for y in map(float, ys)]
                ax.plot(xs, clean, label=name, color=PALETTE[i % 8], marker=MARKERS[i % 8] if len(xs) <= 12 else None,
                        linestyle=("-", "--", "-.", ":")[i // 4 % 4], linewidth=1.5, markersize=4)
        if plot.logy:
            ax.set_yscale("log")
        if plot.logx:
            ax.set_xscale("log")
        ax.set_title(plot.title, fontsize=10)
        ax.set_xlabel(plot.xlabel)
        ax.set_ylabel(plot.ylabel)
        ax.grid(True, alpha=0.3)
        if plot.series:
            ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    finally:
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1em;font-size:0.9em}td,th{border:1px solid #bbb;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#eee}.v-supported{color:#0072B2;font-weight:bold}
.v-not{color:#D55E00;font-weight:bold}.v-depends{color:#7a4e00;font-weight:bold}section{margin-bottom:2.5em}
.plots svg{max-width:100%;height:auto}"""


def _verdict_html(r: LabResult) -> str:
    cls = {"supported": "v-supported", "not supported": "v-not", "depends": "v-depends"}[r.verdict.status]
    return f'<span class="{cls}">{html.escape(str(r.verdict))}</span>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], raw_last: bool = False) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c if raw_last and j == len(row) - 1 else html.escape(c)}</td>"
                                    for j, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def html_page(results: Sequence[LabResult], seconds: float) -> str:
    """One self-contained page: the summary table, then per experiment its claim, setup, table and plots."""
    summary = _table(["#", "claim (seed)", "setup", "measured", "verdict"],
                     [[str(i), f"{r.claim} ({r.source})", r.setup, r.measured, _verdict_html(r)]
                      for i, r in enumerate(results, 1)], raw_last=True)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>gradguard lab</title><style>{_CSS}</style>"
             f"</head><body><h1>gradguard lab</h1><p>{html.escape(_environment(seconds))}</p>{summary}"]
    for i, r in enumerate(results, 1):
        plots = "".join(_svg(p) for p in r.plots)
        parts.append(f"<section id='{html.escape(r.name)}'><h2>{i}. {html.escape(r.name)}</h2>"
                     f"<p><b>Claim</b> ({html.escape(r.source)}): {html.escape(r.claim)}</p>"
                     f"<p><b>Setup</b>: {html.escape(r.setup)}</p><p><b>Measured</b>: {html.escape(r.measured)}</p>"
                     f"<p><b>Verdict</b>: {_verdict_html(r)} <small>({r.seconds:.1f} s)</small></p>"
                     f"{_table(r.headers, r.rows)}<div class='plots'>{plots}</div></section>")
    parts.append("</body></html>")
    return "".join(parts)


def write(results: Sequence[LabResult], out: Path, seconds: float) -> Path:
    """Write ``out/lab.md`` and ``out/lab.html``; return the HTML path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "lab.md").write_text(markdown(results, seconds), encoding="utf-8")
    page = out / "lab.html"
    page.write_text(html_page(results, seconds), encoding="utf-8")
    return page
