"""The report's attribution section: each attributed spike's verdict, the numbers behind it, its culprit samples."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["attribution_html"]

_BASIS = {"same_state": "a re-run on the same state and batch differs from the step",
          "snapshot": "the batch re-run on the previous snapshot", "samples": "the samples' gradient shares"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _n(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return _e(value if value is not None else "–")


def _culprits(found: Mapping[str, Any]) -> str:
    rows = []
    for c in found.get("culprit_samples", []):
        where = f"sample {c['index']}" if "index" in c else f"samples {c.get('indices')}"
        share = c.get("share")
        rows.append(f"<tr><td>{_e(where)}</td><td>{_n(c.get('loader_index'))}</td>"
                    f"<td>{'–' if share is None else f'{share:.1%}'}</td><td>{_n(c.get('loss'))}</td>"
                    f"<td>{_n(c.get('grad_norm'))}</td><td>{_e(', '.join(c.get('flags') or []) or '–')}</td></tr>")
    if not rows:
        return '<p class="muted">No culprit samples (the batch could not be split by sample).</p>'
    return ("<table><thead><tr><th>culprit</th><th>loader index</th><th>gradient share</th><th>loss</th>"
            "<th>‖g‖</th><th>data checks</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def attribution_html(events: list[dict[str, Any]]) -> str:
    """One block per attributed step (events carrying ``evidence["attribution"]``)."""
    done: dict[int, tuple[str, Mapping[str, Any]]] = {}
    for e in events:
        found = (e.get("evidence") or {}).get("attribution")
        if isinstance(found, Mapping) and e["step"] not in done:
            done[e["step"]] = (e["kind"], found)
    if not done:
        return ('<p class="muted">No spike was attributed (put <code>AttributeSpikes()</code> in the policy and feed '
                "the loop from <code>guard.batches(loader)</code>).</p>")
    blocks = []
    for step, (kind, found) in done.items():
        if found.get("verdict") is None:
            blocks.append(f"<div class='finding'><b>step {step}</b> ({_e(kind)}): attribution failed: "
                          f"{_e(found.get('error'))}</div>")
            continue
        snap = (found.get("numbers") or {}).get("snapshot") or {}
        recur = ""
        if snap.get("ratio") is not None:
            recur = (f"<div>at the snapshot of step {_n(snap.get('step'))}: {_n(snap.get('ratio'))}x its baseline "
                     f"({'recurs' if snap.get('recurs') else 'does not recur'})</div>")
        dropped = found.get("dropped") or []
        drop = (f"<div>dropped: {_e([d.get('loader_index', d.get('position')) for d in dropped])}</div>"
                if dropped else "")
        blocks.append(f"<div class='finding'><b>step {step}</b> ({_e(kind)}): verdict <b>{_e(found['verdict'])}</b>"
                      f" <span class='muted'>from {_e(_BASIS.get(found.get('basis', ''), found.get('basis')))}; "
                      f"{_n(found.get('reruns'))} re-runs, {_n(found.get('cost_s'))} s</span>{recur}{drop}"
                      f"{_culprits(found)}</div>")
    return "".join(blocks)
