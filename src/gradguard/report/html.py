"""The HTML report: one self-contained file (inline CSS and SVG, no script, no external fetch) of a run record.

It reads only the record on disk (:func:`gradguard.open_run`) and downsamples for drawing, so a run of 100k
steps and 200 layers renders in seconds into a file of a few MB.
"""

from __future__ import annotations

import html
import json
import math
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..record import RunRecord, open_run
from . import plots
from ._attribution import attribution_html

__all__ = ["MAX_EVENT_ROWS", "render_report", "write_report"]

MAX_EVENT_ROWS = 300
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}

_CSS = """
:root{--fg:#1b1b1b;--muted:#5a5a5a;--line:#d8d8d8;--bg:#fff;--accent:#0072B2}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg);margin:0}main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);
padding-bottom:4px}.muted{color:var(--muted)}svg{width:100%;height:auto;display:block}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}.card{border:1px solid var(--line);border-radius:6px;
padding:8px 12px;min-width:130px}.card b{display:block;font-size:18px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid var(--line);padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f4f4f4;position:sticky;top:0}
.sev-critical{color:#D55E00;font-weight:600}.sev-warning{color:#9a6700;font-weight:600}.sev-info{color:var(--muted)}
code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}pre{background:#f6f6f6;padding:8px;overflow:auto;
max-height:320px}.ev{max-width:420px;word-break:break-word}details{margin:4px 0}.finding{border-left:4px solid
var(--accent);padding:4px 12px;margin:10px 0}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}
dt{color:var(--muted)}dd{margin:0}figure{margin:8px 0 18px}figcaption{color:var(--muted);font-size:12px}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return str(v) if not math.isfinite(v) else f"{v:.4g}"
    return str(value)


def _short(value: Any, limit: int = 160) -> str:
    if isinstance(value, Mapping):
        text = ", ".join(f"{k}={_short(v, 60)}" for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_short(v, 40) for v in value[:6]) + (", …" if len(value) > 6 else "") + "]"
    else:
        text = _num(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _threshold(events: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray] | None:
    """Adaptive clipping thresholds written in events' evidence (``threshold``), as (steps, values)."""
    pts = [(e["step"], e["evidence"]["threshold"]) for e in events
           if isinstance(e.get("evidence"), Mapping) and isinstance(e["evidence"].get("threshold"), (int, float))]
    if not pts:
        return None
    arr = np.array(sorted(pts), dtype=np.float64)
    return arr[:, 0], arr[:, 1]


def _chosen_steps(steps: np.ndarray, events: Sequence[Mapping[str, Any]],
                  finite_rows: np.ndarray | None = None) -> list[tuple[str, int]]:
    """Rows of the per-layer matrices for the bar plot: first, middle, last, and the first two trouble events."""
    n = len(steps)
    if n == 0:
        return []
    rows = {0: "first", n // 2: "middle", n - 1: "last"}
    trouble = [e for e in events if e["kind"] in ("nonfinite", "explode", "vanish", "loss_spike")]
    for e in trouble:
        if len(rows) >= 4:
            break
        i = int(np.searchsorted(steps, e["step"]))
        if i < n and steps[i] == e["step"] and i not in rows:
            if finite_rows is not None and not finite_rows[i]:
                i, label = i - 1, f"before {e['kind']}"  # a step without finite gradients draws no bars
            else:
                label = e["kind"]
            if i >= 0 and i not in rows:
                rows[i] = label
    return [(f"step {int(steps[i])} ({rows[i]})", i) for i in sorted(rows)]


def _plots(run: RunRecord, events: list[dict[str, Any]], compare: RunRecord | None) -> list[str]:
    s = run.steps
    layers = run.layers
    cmp = None
    if compare is not None:
        cmp = (f"{compare.meta.get('settings', {}).get('policy', 'other')} run ({compare.path.parent.name})",
               compare.steps["step"], compare.steps["loss"])
    out = [
        _figure(plots.loss_plot(s["step"], s["loss"], events, compare=cmp, label="this run"),
                "Loss per step. Dashed vertical lines: warnings; solid: critical events. × at the top: a step whose "
                "loss was NaN or Inf. Long runs are drawn as the min–max envelope of each stretch of steps."),
        _figure(plots.grad_norm_plot(s["step"], s["grad_norm"], np.where(s["applied"], s["grad_norm_after"], np.nan),
                                     _threshold(events), events),
                "Global L2 norm of the gradients as computed and as applied (after clipping; equal when not "
                "clipped, absent when the step was skipped)."),
    ]
    lsteps = run.layer_stat_steps
    gnorm = run.layer_stat("grad_norm")
    out.append(_figure(plots.flow_heatmap(lsteps, gnorm, layers, skipped=s["step"][~s["applied"]]),
                       "Each row a layer, each column a stretch of steps; colour: the largest gradient norm of the "
                       "layer in that stretch (log scale). Grey: no finite gradient. Red ticks above: skipped steps "
                       "(their gradients were measured, never applied)."))
    maxabs = run.layer_stat("grad_maxabs")
    chosen = _chosen_steps(lsteps, events, np.isfinite(maxabs).any(axis=1) if maxabs.size else None)
    if maxabs.size:  # a sampled step (Guard(sample_every=...)) has no max |g|: draw the measured step before it
        sampled = ~np.isfinite(maxabs).any(axis=1) & np.isfinite(gnorm).any(axis=1)
        measured = np.flatnonzero(~sampled)
        chosen = [(label, i) if not sampled[i] or not measured.size else
                  (label.replace(f"step {int(lsteps[i])} ", f"step {int(lsteps[j])} ", 1), j)
                  for label, i in chosen
                  for j in [int(measured[max(0, int(np.searchsorted(measured, i, side="right")) - 1)])]]
    if chosen:
        numel = np.array([max(1, int(i["numel"])) for i in run.layer_info], dtype=np.float64)
        bars = [(label, gnorm[i].astype(np.float64) / np.sqrt(numel), maxabs[i].astype(np.float64))
                for label, i in chosen]
        out.append(_figure(plots.flow_bars(layers, bars),
                           "Gradient flow at chosen steps (first, middle, last and the first trouble events): the "
                           "RMS and the largest magnitude of each layer's gradient, input side on the left."))
    out.append(_figure(plots.layer_lines(lsteps, run.layer_stat("weight_norm"), layers, title="Weight norm per layer",
                                         ylabel="‖W‖₂", label="weight_norm"),
                       "Weight L2 norm of the first and last layers and of those that changed most; grey band: the "
                       "range over all layers."))
    out.append(_figure(plots.layer_lines(run.update_steps, run.updates("update_ratio"), layers,
                                         title="Update-to-weight ratio per layer", ylabel="‖ΔW‖ / ‖W‖",
                                         label="update_ratio", reference=1e-3),
                       "How far each step moves a layer's weights, relative to their size (measured every few "
                       "steps). Around 1e-3 is the usual healthy range; far above it the learning rate is too high."))
    return out


def _summary(run: RunRecord, events: list[dict[str, Any]]) -> str:
    s = run.steps
    n = len(s["step"])
    skipped = int((~s["applied"]).sum()) if n else 0
    clipped = int(np.sum(s["clip_coef"] < 1.0)) if n else 0
    nonfinite = int(np.sum(s["has_loss"] & ~np.isfinite(s["loss"]))) if n else 0
    finite = s["loss"][np.isfinite(s["loss"])]
    last = _num(float(np.mean(finite[-20:]))) if len(finite) else "–"
    cards = [("steps", n), ("layers", run.num_layers), ("skipped steps", skipped), ("clipped steps", clipped),
             ("NaN/Inf losses", nonfinite), ("events", len(events)), ("final loss (last 20 finite)", last)]
    return '<div class="cards">' + "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in cards) + \
        "</div>"


def _evidence_html(evidence: Any) -> str:
    """An event's evidence as one ``key: value`` line per entry (numbers to 4 digits, nested values compact),
    with the whole evidence as JSON behind a <details> when a line had to be shortened."""
    if not isinstance(evidence, Mapping) or not evidence:
        return '<span class="muted">–</span>' if not evidence else f"<code>{_e(_short(evidence, 400))}</code>"
    lines = []
    cut = False
    for key, value in list(evidence.items())[:14]:
        text = _short(value, 120)
        cut |= text.endswith("…")
        lines.append(f"<div><b>{_e(str(key))}</b>: <code>{_e(text)}</code></div>")
    if len(evidence) > 14 or cut:
        full = json.dumps(evidence, default=str, indent=1)[:20_000]
        lines.append(f"<details><summary>all evidence</summary><pre>{_e(full)}</pre></details>")
    return "".join(lines)


def _causes_html(causes: Sequence[Mapping[str, Any]]) -> str:
    if not causes:
        return '<span class="muted">–</span>'
    items = []
    for c in causes[:5]:
        sev = c.get("severity", "info")
        items.append(f'<li><span class="sev-{_e(sev)}">{_e(c.get("cause", "?"))}</span> '
                     f'(confidence {_num(c.get("confidence", ""))}): {_e(_short(c.get("message", ""), 200))}</li>')
    return "<ol>" + "".join(items) + "</ol>"


def _events_table(events: list[dict[str, Any]]) -> str:
    if not events:
        return '<p class="muted">No events: nothing was detected, clipped or skipped.</p>'
    counts = Counter(e["kind"] for e in events)
    head = "<p>" + ", ".join(f"{_e(k)}: {v}" for k, v in counts.most_common()) + "</p>"
    shown = sorted(events, key=lambda e: (_SEVERITY_ORDER.get(e["severity"], 3), e["step"]))[:MAX_EVENT_ROWS]
    shown.sort(key=lambda e: (e["step"], e["id"]))
    rows = []
    for e in shown:
        layers = ", ".join(e["layers"][:4]) + (" …" if len(e["layers"]) > 4 else "")
        rows.append(f'<tr><td>{e["step"]}</td><td>{_e(e["kind"])}</td><td class="sev-{_e(e["severity"])}">'
                    f'{_e(e["severity"])}</td><td>{_e(e["message"])}</td><td>{_e(layers)}</td>'
                    f'<td class="ev">{_evidence_html(e["evidence"])}</td>'
                    f'<td>{_causes_html(e["causes"])}</td></tr>')
    more = (f'<p class="muted">{len(events) - len(shown)} more events (the least severe) are in the record; '
            "see <code>gradguard inspect</code>.</p>") if len(events) > len(shown) else ""
    return (head + "<table><thead><tr><th>step</th><th>kind</th><th>severity</th><th>message</th><th>layers</th>"
            "<th>evidence</th><th>ranked causes</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + more)


def _findings(events: list[dict[str, Any]]) -> str:
    """Each distinct cause attached to events, once, ranked by severity then score, with its prescription."""
    best: dict[tuple[str, tuple[str, ...]], tuple[dict[str, Any], list[int]]] = {}
    for e in events:
        for c in e["causes"]:
            key = (str(c.get("cause")), tuple(c.get("layers", ())))
            if key not in best:
                best[key] = (dict(c), [])
            best[key][1].append(e["step"])
    if not best:
        return ('<p class="muted">No diagnosis was attached to events (the guard diagnoses explode, vanish, '
                "non-finite and divergence events when it has the batch and a loss_fn).</p>")
    ranked = sorted(best.values(), key=lambda v: (_SEVERITY_ORDER.get(v[0].get("severity", "info"), 3),
                                                  -float(v[0].get("score", 0) or 0)))
    blocks = []
    for c, steps in ranked:
        code = f"<pre>{_e(c['code'])}</pre>" if c.get("code") else ""
        layers = ", ".join(c.get("layers", [])[:8])
        blocks.append(
            f'<div class="finding"><b class="sev-{_e(c.get("severity", "info"))}">{_e(c.get("cause"))}</b> '
            f'<span class="muted">[{_e(c.get("severity"))}, confidence {_num(c.get("confidence"))}, seen at steps '
            f'{_e(", ".join(map(str, steps[:8])))}{" …" if len(steps) > 8 else ""}]</span>'
            f'{f"<div>layers: {_e(layers)}</div>" if layers else ""}<p>{_e(c.get("message", ""))}</p>'
            f'<p><b>Fix:</b> {_e(c.get("prescription", ""))}</p>{code}</div>')
    return "".join(blocks)


def _meta(run: RunRecord) -> str:
    meta = dict(run.meta)
    model = meta.get("model", {}) if isinstance(meta.get("model"), Mapping) else {}
    repr_text = model.get("repr") if isinstance(model, Mapping) else None
    rows = []
    for key, value in meta.items():
        if key == "model" and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k != "repr"}
        if key == "created" and isinstance(value, (int, float)):
            value = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        rows.append(f"<dt>{_e(key)}</dt><dd><code>{_e(text[:1200])}</code></dd>")
    rows.append(f"<dt>record</dt><dd><code>{_e(run.path)}</code></dd>")
    extra = f"<details><summary>model</summary><pre>{_e(repr_text)}</pre></details>" if repr_text else ""
    return "<dl>" + "".join(rows) + "</dl>" + extra


def render_report(run: RunRecord, compare: RunRecord | None = None, title: str | None = None) -> str:
    """The report of ``run`` as one HTML string; ``compare`` adds another run's loss to the loss plot."""
    events = run.events
    title = title or f"gradguard report — {run.path.parent.name}"
    figures = _plots(run, events, compare)
    body = [f"<h1>{_e(title)}</h1><p class='muted'>{_e(run.path)} · generated {time.strftime('%Y-%m-%d %H:%M')}</p>",
            _summary(run, events), "<h2>Training curves</h2>", *figures[:2], "<h2>Gradient flow</h2>", *figures[2:4],
            "<h2>Weights and updates</h2>", *figures[4:], "<h2>Events</h2>", _events_table(events),
            "<h2>Diagnosis: causes and prescriptions</h2>", _findings(events),
            "<h2>Attribution of spikes: data, state or hardware</h2>", attribution_html(events),
            "<h2>Run metadata</h2>", _meta(run)]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>" + "\n".join(body) +
            "</main></body></html>")


def write_report(run_dir: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *,
                 compare: str | os.PathLike[str] | None = None, title: str | None = None) -> Path:
    """Write the HTML report of the record at ``run_dir`` to ``out`` (default ``run_dir/report.html``).

    Raises:
        RecordError: no readable record at ``run_dir`` (or ``compare``).
        OptionalDependencyError: matplotlib is missing (``pip install "gradguard[report]"``).
    """
    with open_run(run_dir) as run:
        other = open_run(compare) if compare is not None else None
        try:
            text = render_report(run, other, title)
        finally:
            if other is not None:
                other.close()
        target = Path(out) if out is not None else run.path.parent / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
