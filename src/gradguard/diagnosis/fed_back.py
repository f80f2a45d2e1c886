"""A rollout that feeds back values in other units: a layer's later calls read a signal ten times its first call's.

An autoregressive forecaster standardises its window, predicts one step, appends the prediction to the window and
predicts again. Fed back de-normalised (``p * sd + mu`` into a window held in standardised units), every call after
the first reads values at the series' raw level (fresh100's DSANet: its window convolution's output RMS 0.63 at the
first call, 11-14 at the next three). Read on the probe's per-call records: a weight layer that reads the batch's
input at its first call (the input's first reader), called ``MIN_CALLS`` times or more, whose first call's output
RMS is of a usual size (``FIRST_BAND``) and whose second is ``JUMP`` times it or more, with the later calls within
``LEVEL`` of the second (a shift of level at the first feed-back, not a growth that compounds from call to call,
which is a recurrence's). A layer inside a recurrence, reading a state the model grew (a deep Markov model's
transition at N(0, 1): 26x at its second call), is not the input's reader. A first call that reads a zero state or a
start token outputs about its bias, under the band. Named ``data``: what is fed back is in the wrong units.
"""

from __future__ import annotations

import math

from .findings import Finding
from .layers import is_weight_layer
from .probe import ProbeResult

__all__ = ["FIRST_BAND", "JUMP", "LEVEL", "MIN_CALLS", "fed_back_findings"]

#: calls of one layer from which its calls are compared
MIN_CALLS = 3
#: the first call's output RMS counted as a usual scale
FIRST_BAND = (0.3, 10.0)
#: the second call's output RMS over the first's from which the later calls read another scale
JUMP = 10.0
#: the later calls' largest output RMS over the second's up to which the level holds (no compounding)
LEVEL = 3.0


def fed_back_findings(probe: ProbeResult) -> list[Finding]:
    """``data`` (warning) for the weight layer whose later calls jump to ``JUMP`` times its first call's output
    scale and hold there (see the module docstring); [] when none does."""
    readers = [r.name for r in probe.readers if r is not None and not r.periodic]
    calls: dict[str, list[float]] = {}
    for r in sorted(probe.records, key=lambda r: r.call):
        if probe.call_counts.get(r.name, 0) >= MIN_CALLS and r.leaf and is_weight_layer(r.module) and \
                any(r.name == n or r.name.startswith(n + ".") for n in readers):
            calls.setdefault(r.name, []).append(r.out_rms)
    worst: tuple[float, str, list[float]] | None = None
    for name, rms in calls.items():
        if len(rms) < MIN_CALLS or not all(math.isfinite(v) and v > 0 for v in rms):
            continue
        first, second, rest = rms[0], rms[1], max(rms[1:])
        if not FIRST_BAND[0] <= first <= FIRST_BAND[1] or second < JUMP * first or rest > LEVEL * second:
            continue
        jump = second / first
        if worst is None or jump > worst[0]:
            worst = (jump, name, rms)
    if worst is None:
        return []
    jump, name, rms = worst
    return [Finding(
        cause="data", layers=[name], severity="warning", confidence=0.6,
        evidence={"layer_calls": len(rms), "first_call_output_rms": round(rms[0], 4),
                  "later_calls_output_rms": [round(v, 4) for v in rms[1:8]], "jump": round(jump, 1),
                  "expected": "every call of a layer reads a signal of one scale", "direction": 1},
        message=(f"{name} is called {len(rms)} times; its first call outputs an RMS of {rms[0]:.3g}, every later call "
                 f"about {jump:.3g}x that ({rms[1]:.3g} at the second): what the forward feeds back between the calls "
                 "(a rollout's own predictions) is in other units than the input it started from, e.g. de-normalised "
                 "where the window is standardised."),
        prescription=("Feed back the prediction in the units the model reads (standardised, if the window is), and "
                      "de-normalise only the output the loss or the user sees."),
        code="window = torch.cat([window[:, 1:], pred[:, None]], 1)  # pred in the window's units, not pred * sd + mu",
        score=math.log10(jump),
    )]
