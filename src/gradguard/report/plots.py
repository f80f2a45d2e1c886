"""The report's plots: matplotlib figures rendered to inline SVG strings (no pyplot, no global state).

Colours are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies) and viridis for
heatmaps. Every function takes already-read arrays, downsamples them for drawing and returns an ``<svg>`` string.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._optional import require
from ._data import bucket_max_rows, envelope, finite_or_nan, pick_layers

__all__ = ["EVENT_COLORS", "OKABE_ITO", "flow_bars", "flow_heatmap", "grad_norm_plot", "layer_lines", "loss_plot"]

#: Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
EVENT_COLORS: Mapping[str, str] = {
    "nonfinite": "#D55E00", "explode": "#E69F00", "loss_spike": "#CC79A7", "divergence": "#CC79A7",
    "vanish": "#56B4E9", "stall": "#56B4E9", "weight_growth": "#009E73", "skip": "#000000", "rollback": "#000000",
    "clip": "#0072B2", "lr_change": "#009E73", "amp_overflow": "#999999",
}
_RC: dict[str, Any] = {"svg.fonttype": "none", "svg.hashsalt": "gradguard", "font.size": 9, "axes.titlesize": 10,
       "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
       "legend.fontsize": 8, "legend.frameon": False}
MAX_MARKERS = 200


def _figure(height: float = 3.0, width: float = 9.0) -> Any:
    require("matplotlib", "the HTML report")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Any, label: str) -> str:
    """The figure as an ``<svg>`` element (XML prologue dropped), tagged with ``data-plot=label``."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        fig.savefig(buf, format="svg")
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<svg ", f'<svg data-plot="{label}" role="img" aria-label="{label} plot" ', text, count=1)
    return re.sub(r'\s(width|height)="[0-9.]+pt"', "", text[:400], count=2) + text[400:]


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, alpha=0.3)


def _logy_ok(*arrays: np.ndarray) -> bool:
    vals = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    return bool(len(vals)) and bool((vals > 0).all()) and float(vals.max() / vals.min()) > 50


def _mark_events(ax: Any, events: Sequence[Mapping[str, Any]]) -> None:
    """Vertical lines at event steps, one colour per kind, at most MAX_MARKERS (most severe first)."""
    order = {"critical": 0, "warning": 1, "info": 2}
    chosen = sorted(events, key=lambda e: (order.get(e["severity"], 3), e["step"]))[:MAX_MARKERS]
    seen: set[str] = set()
    for e in sorted(chosen, key=lambda e: e["step"]):
        kind = e["kind"]
        ax.axvline(e["step"], color=EVENT_COLORS.get(kind, "#999999"), lw=0.8, alpha=0.6,
                   ls="--" if e["severity"] != "critical" else "-", label=None if kind in seen else f"event: {kind}")
        seen.add(kind)


def _mark_nonfinite(ax: Any, steps: np.ndarray, values: np.ndarray, label: str) -> None:
    bad = steps[~np.isfinite(values)]
    if len(bad):
        if len(bad) > MAX_MARKERS:
            bad = bad[np.linspace(0, len(bad) - 1, MAX_MARKERS).astype(int)]
        ax.plot(bad, np.ones(len(bad)), "x", transform=ax.get_xaxis_transform(), color="#D55E00", ms=5,
                clip_on=False, label=label)


def loss_plot(steps: np.ndarray, loss: np.ndarray, events: Sequence[Mapping[str, Any]],
              compare: tuple[str, np.ndarray, np.ndarray] | None = None, label: str = "loss") -> str:
    """Loss per step (min/max envelope when long), events as vertical lines, non-finite losses as × at the top.

    ``compare`` is an optional ``(name, steps, loss)`` of another run drawn dashed (the demo's unguarded run).
    """
    fig = _figure()
    ax = fig.add_subplot()
    x, y = envelope(steps, loss)
    ax.plot(x, y, color=OKABE_ITO[0], lw=1.0, label=label)
    arrays = [y]
    if compare is not None:
        name, csteps, closs = compare
        cx, cy = envelope(csteps, closs)
        ax.plot(cx, cy, color=OKABE_ITO[5], lw=1.0, ls="--", label=name)
        _mark_nonfinite(ax, csteps, closs, f"{name}: NaN/Inf loss")
        arrays.append(cy)
    _mark_nonfinite(ax, steps, loss, f"{label}: NaN/Inf loss")
    _mark_events(ax, events)
    if _logy_ok(*arrays):
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="loss", title="Loss, with events")
    _style(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(fig, "loss")


def grad_norm_plot(steps: np.ndarray, before: np.ndarray, after: np.ndarray,
                   threshold: tuple[np.ndarray, np.ndarray] | None, events: Sequence[Mapping[str, Any]]) -> str:
    """Global gradient L2 norm before and after clipping (log scale), with the adaptive threshold if recorded."""
    fig = _figure()
    ax = fig.add_subplot()
    xb, yb = envelope(steps, before)
    xa, ya = envelope(steps, after)
    ax.plot(xb, yb, color=OKABE_ITO[1], lw=1.0, label="before clipping")
    ax.plot(xa, ya, color=OKABE_ITO[0], lw=1.0, label="after clipping (applied)")
    if threshold is not None and len(threshold[0]):
        tx, ty = envelope(*threshold)
        ax.plot(tx, ty, color=OKABE_ITO[7], lw=0.8, ls=":", label="adaptive threshold")
    _mark_nonfinite(ax, steps, before, "NaN/Inf gradient")
    _mark_events(ax, [e for e in events if e["kind"] in ("explode", "nonfinite", "rollback")])
    if _logy_ok(yb, ya):
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="‖g‖₂", title="Global gradient norm before and after clipping")
    _style(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(fig, "grad_norm")


def _layer_ticks(ax: Any, layers: Sequence[str], axis: str) -> None:
    n = len(layers)
    stride = max(1, math.ceil(n / 30))
    ticks = list(range(0, n, stride))
    labels = [layers[i] if len(layers[i]) <= 28 else "…" + layers[i][-27:] for i in ticks]
    if axis == "y":
        ax.set_yticks(ticks, labels)
    else:
        ax.set_xticks(ticks, labels, rotation=60, ha="right")


def flow_heatmap(steps: np.ndarray, grad_norm: np.ndarray, layers: Sequence[str],
                 skipped: np.ndarray | None = None) -> str:
    """Layer × step heatmap of log10 per-layer gradient norm (bucket maximum); grey = no finite gradient; a red
    tick above the map at every skipped step (the first 2,000)."""
    fig = _figure(height=min(7.0, 2.2 + 0.12 * len(layers)))
    ax = fig.add_subplot()
    xs, m = bucket_max_rows(steps, grad_norm)
    with np.errstate(divide="ignore", invalid="ignore"):
        logm = np.log10(np.where(m > 0, m, np.nan)).T
    import matplotlib

    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#BBBBBB")
    extent = (float(xs[0]) if len(xs) else 0.0, float(steps[-1]) + 1 if len(steps) else 1.0, len(layers) - 0.5, -0.5)
    img = ax.imshow(np.ma.masked_invalid(logm), aspect="auto", interpolation="nearest", cmap=cmap, extent=extent)
    fig.colorbar(img, ax=ax, label="log₁₀ ‖g‖ of layer", shrink=0.9)
    _layer_ticks(ax, layers, "y")
    if skipped is not None and len(skipped):
        ax.plot(np.asarray(skipped[:2000], dtype=float) + 0.5, np.full(min(len(skipped), 2000), -0.5), ls="none",
                marker="|", markersize=9, color="#D55E00", clip_on=False, label="skipped step")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False, fontsize="small")
    ax.grid(False)
    return _svg(fig, "flow_heatmap")


def flow_bars(layers: Sequence[str], chosen: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> str:
    """The classic gradient-flow bar plot: per-layer RMS and max |g| at a few chosen steps (log scale).

    ``chosen`` holds ``(label, rms, maxabs)`` per step; non-finite values are left out and counted in the label.
    """
    n = len(chosen)
    cols = 2 if n > 1 else 1
    rows = math.ceil(n / cols)
    fig = _figure(height=2.4 * rows + 1.0)
    grid = fig.subplots(rows, cols, sharex=True, squeeze=False)
    axes = list(grid.ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    pos = np.arange(len(layers))
    for ax, (label, rms, maxabs) in zip(axes, chosen):
        bad = int((~np.isfinite(maxabs)).sum())
        ax.bar(pos, finite_or_nan(maxabs), color=OKABE_ITO[4], width=0.8, label="max |g|")
        ax.bar(pos, finite_or_nan(rms), color=OKABE_ITO[0], width=0.5, label="RMS g")
        ok = np.isfinite(maxabs) & (maxabs > 0)
        if ok.any():
            ax.set_yscale("log")
        ax.set_title(label + (f" — {bad} layer(s) without a finite gradient" if bad else ""), loc="left")
        ax.set_ylabel("|g|")
        _style(ax)
    axes[0].legend(loc="upper right", ncols=2)
    for ax in axes[max(0, n - cols):n]:
        _layer_ticks(ax, layers, "x")
        ax.tick_params(labelbottom=True)
    return _svg(fig, "flow_bars")


def layer_lines(steps: np.ndarray, matrix: np.ndarray, layers: Sequence[str], *, title: str, ylabel: str,
                label: str, reference: float | None = None) -> str:
    """A few layers' series as lines (first, last and those that changed most), all layers as a grey min–max band."""
    fig = _figure()
    ax = fig.add_subplot()
    xs, m = bucket_max_rows(steps, matrix, max_rows=600)
    if m.size and np.isfinite(m).any():
        with np.errstate(all="ignore"):
            lo, hi = np.nanmin(np.where(np.isfinite(m), m, np.inf), axis=1), np.nanmax(m, axis=1)
        lo = np.where(np.isinf(lo), np.nan, lo)
        if len(layers) > 8:
            ax.fill_between(xs, lo, hi, color="#BBBBBB", alpha=0.4, lw=0, label=f"all {len(layers)} layers")
        for k, i in enumerate(pick_layers(m)):
            ax.plot(xs, m[:, i], lw=1.0, color=OKABE_ITO[k % len(OKABE_ITO)], label=layers[i][-30:])
        if _logy_ok(m.ravel()):
            ax.set_yscale("log")
    else:
        ax.text(0.5, 0.5, "not recorded in this run", ha="center", va="center", transform=ax.transAxes)
    if reference is not None:
        ax.axhline(reference, color="#000000", lw=0.8, ls=":", label=f"rule of thumb {reference:g}")
    ax.set(xlabel="step", ylabel=ylabel, title=title)
    _style(ax)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(fig, label)
