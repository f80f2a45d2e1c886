"""Text rendering of a :class:`~gradguard.diagnosis.findings.Diagnosis`."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings import Diagnosis, Finding

__all__ = ["render_diagnosis", "render_finding"]

_WIDTH = 110


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        items = list(value.items())
        body = ", ".join(f"{k}: {_short(v)}" for k, v in items[:4])
        return "{" + body + (f", ... +{len(items) - 4}" if len(items) > 4 else "") + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value[:4]) + (", ..." if len(value) > 4 else "") + "]"
    return str(value)


def render_finding(f: Finding, index: int, verbose: bool = False) -> str:
    """One finding as an indented text block."""
    layers = ", ".join(f.layers[:6]) + (f", ... ({len(f.layers)} layers)" if len(f.layers) > 6 else "")
    lines = [f"{index}. [{f.severity}] {f.cause}  (confidence {f.confidence:.2f}, explains {f.score:.1f} decades)"]
    if layers:
        lines.append(f"   layers: {layers}")
    lines += textwrap.wrap(f.message, _WIDTH, initial_indent="   ", subsequent_indent="   ")
    ev = f.evidence if verbose else {k: v for k, v in list(f.evidence.items())[:5]}
    lines.append("   evidence: " + "; ".join(f"{k}={_short(v)}" for k, v in ev.items()))
    lines += textwrap.wrap("fix: " + f.prescription, _WIDTH, initial_indent="   ", subsequent_indent="        ")
    if f.code:
        lines.append("   code:")
        lines += ["     " + line for line in f.code.splitlines()]
    return "\n".join(lines)


def render_diagnosis(d: Diagnosis, verbose: bool = False) -> str:
    """The whole diagnosis: a header line, then one block per finding (info ones only when verbose)."""
    cost = ", ".join(f"{v} {k}" for k, v in d.cost.items())
    shown = d.findings if verbose else [f for f in d.findings if f.severity != "info"]
    hidden = len(d.findings) - len(shown)
    head = "gradguard pre-flight check: " + ("healthy" if d.healthy else f"{len(shown)} problem(s), most explanatory "
                                                                           "first")
    head += f"  [probe cost: {cost}]" + (f"  ({hidden} info finding(s) hidden)" if hidden else "")
    blocks = [head] + [render_finding(f, i + 1, verbose) for i, f in enumerate(shown)]
    if d.notes:
        blocks.append("notes: " + "; ".join(d.notes))
    return "\n".join(blocks)
