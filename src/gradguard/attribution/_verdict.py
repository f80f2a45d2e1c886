"""What a replay needs (:class:`Replay`) and how its numbers become a verdict: shared by the single-process and
the DDP replays, so that both decide alike."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..errors import ConfigError
from ._rerun import Measure

__all__ = ["OUTLIER_SHARE", "REPLAY_KINDS", "SAMPLE_SHARE", "SPIKE_KINDS", "VERDICTS", "Replay", "decide",
           "event_ratio", "flagged", "mark_outliers", "metric_of", "outlier_positions", "ratio", "recurs"]

#: Event kinds that are attributed.
SPIKE_KINDS = ("loss_spike", "explode", "nonfinite")
#: Kinds a replay accepts: the spikes, a heavy clip (the guard's ``clip`` event: gradients scaled below 0.1) and an
#: outlier skip (a ``skip`` event of reason ``outlier_grad``), the last two through
#: :class:`~gradguard.attribution.AttributeClips`.
REPLAY_KINDS = (*SPIKE_KINDS, "clip", "skip")
VERDICTS = ("data", "state", "hardware")
#: Without a snapshot, a batch whose ``top`` samples hold less than this gradient share is blamed on the state.
SAMPLE_SHARE = 0.5
#: A culprit holding at least this many times a fair share (1/n) of the gradient, and 10%, is an outlier.
OUTLIER_SHARE = 3.0


@dataclass
class Replay:
    """What the replay of one step needs besides the model, the batch and ``batch_loss``.

    Args:
        kind, evidence: the event's kind (``loss_spike``, ``explode``, ``nonfinite``; ``clip``: a heavy clip;
            ``skip``: an outlier skip) and its evidence (its ratio over its baseline is read from it; for ``clip``,
            ``grad_norm`` over ``grad_norm_after``; for ``skip``, ``grad_norm`` over ``typical_norm``).
        recorded_loss, recorded_grads, recorded_grad_norm: what the step computed (the hardware test compares the
            re-run with them; without any of them it is not run). Under DDP: the global (averaged) numbers.
        rng_state: the RNG state the step's forward started from (same dropout masks), or None.
        snapshot, snapshot_step: a model ``state_dict`` from before the spike (the previous snapshot) and its step.
        reference_batches: other batches since the snapshot (its baseline; else the event's own baseline).
        sample_ids: the batch's samples' indices in the data loader's order, when known.
        top: culprit samples named (default 3).
        max_runs: re-runs of parts of the batch allowed (default 64; see
            :func:`~gradguard.attribution.rank_samples`).
    """

    kind: str
    evidence: Mapping[str, Any] | None = None
    recorded_loss: float | None = None
    recorded_grads: Sequence[torch.Tensor | None] | None = None
    recorded_grad_norm: float | None = None
    rng_state: Mapping[str, Any] | None = None
    snapshot: Mapping[str, Any] | None = None
    snapshot_step: int | None = None
    reference_batches: Sequence[Any] = ()
    sample_ids: Sequence[int] | None = None
    top: int = 3
    max_runs: int = 64

    def __post_init__(self) -> None:
        if self.kind not in REPLAY_KINDS:
            raise ConfigError("kind", self.kind, f"one of {list(REPLAY_KINDS)}")
        for name, value in (("top", self.top), ("max_runs", self.max_runs)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "an integer >= 1")

    @property
    def has_record(self) -> bool:
        """Whether anything the step computed was kept (the hardware test needs it)."""
        return not (self.recorded_loss is None and self.recorded_grads is None and self.recorded_grad_norm is None)


def event_ratio(kind: str, evidence: Mapping[str, Any]) -> tuple[str, float | None, float | None]:
    """(metric, the event's value of it over its baseline, the baseline) from an event's evidence."""
    if kind == "loss_spike":
        loss, base = evidence.get("loss"), evidence.get("median")
        return "loss", ratio(loss, base), _num(base)
    if kind == "explode":
        norm, base = evidence.get("grad_norm"), evidence.get("history_geomean")
        return "grad_norm", ratio(norm, base), _num(base)
    if kind == "clip":  # the norm over what the clip let through
        norm, base = evidence.get("grad_norm"), evidence.get("grad_norm_after")
        return "grad_norm", ratio(norm, base), _num(base)
    if kind == "skip":  # an outlier skip: the norm over the typical norm
        norm, base = evidence.get("grad_norm"), evidence.get("typical_norm")
        return "grad_norm", ratio(norm, base), _num(base)
    return "grad_norm", math.inf, None


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def ratio(value: Any, base: Any) -> float | None:
    """``value / base`` (inf for a non-finite value; None when either is missing)."""
    v, b = _num(value), _num(base)
    if v is None or b is None:
        return None
    if not math.isfinite(v):
        return math.inf
    return v / b if b > 0 else 1.0 + (v - b) / max(abs(b), 1e-12)


def metric_of(m: Measure, metric: str) -> float:
    return m.loss if metric == "loss" else m.grad_norm


def recurs(kind: str, m: Measure, r: float | None, event_r: float | None) -> bool | None:
    """Whether a re-run ``m`` (its ratio ``r`` over the baseline) shows the spike again: non-finite again, or a
    ratio of at least 1.25 and at least the square root of the event's own ratio (half of it in log terms); for a
    non-finite event a finite re-run needs 10x. None when there is nothing to compare with."""
    if not m.finite:
        return True
    if r is None:
        return None
    if not math.isfinite(r):
        return True
    if kind == "nonfinite":
        return r >= 10.0
    need = 1.25 if event_r is None or not math.isfinite(event_r) or event_r <= 1 else max(1.25, math.sqrt(event_r))
    return r >= need


def mark_outliers(culprits: list[dict[str, Any]], n: int) -> float | None:
    """Mark each culprit ``outlier`` (a share of at least ``max(OUTLIER_SHARE / n, 0.1)``, or a non-finite
    gradient where shares are unknown); returns the culprits' summed share (None when none has one)."""
    fair = max(OUTLIER_SHARE / n, 0.1) if n else 0.1
    for c in culprits:
        share = c.get("share")
        c["outlier"] = bool(share >= fair) if share is not None else not math.isfinite(c.get("grad_norm", 0.0))
    shares = [c["share"] for c in culprits if c.get("share") is not None]
    return sum(shares) if shares else None


def concentrated(culprits: Sequence[dict[str, Any]], top_share: float | None) -> bool:
    """The culprits hold at least ``SAMPLE_SHARE`` of the batch gradient (or a non-finite one where it is not)."""
    return (top_share is not None and top_share >= SAMPLE_SHARE) or any(
        c.get("share") is None and not math.isfinite(c.get("grad_norm", 0.0)) for c in culprits)


def flagged(culprits: Sequence[dict[str, Any]]) -> bool:
    """An outlier culprit shows a data anomaly: a data-check flag (see :mod:`~gradguard.attribution.checks`), or
    a non-finite loss or gradient of its own."""
    return any(c.get("outlier") and (c.get("flags") or not math.isfinite(c.get("loss", 0.0))
                                     or not math.isfinite(c.get("grad_norm", 0.0))) for c in culprits)


def decide(hardware: bool, snapshot_recurs: bool | None, culprits: Sequence[dict[str, Any]],
           top_share: float | None, rest_recurs: bool | None) -> tuple[str, str, str]:
    """(verdict, basis, why).

    ``hardware`` when the same-state re-run differs. Otherwise ``data`` needs both that the batch carries the spike
    and that its culprits are bad data: with a snapshot, the batch spikes again there (``snapshot_recurs``);
    without one, the outlier culprits hold at least ``SAMPLE_SHARE`` of the gradient and the batch without them
    does not spike (``rest_recurs`` False; None when that re-run could not be made) -- and, in both cases, an
    outlier culprit shows a data anomaly (:func:`flagged`). Everything else is ``state``: the state makes these
    batches spike (as in PaLM: neither the batch nor the state alone), including clean samples that are merely
    hard (a detector's alarm on a healthy run), which are therefore never dropped."""
    if hardware:
        return "hardware", "same_state", "a re-run on the same state and batch differs from the step"
    if snapshot_recurs is not None:
        if not snapshot_recurs:
            return "state", "snapshot", "the batch does not spike on the previous snapshot"
        if not flagged(culprits):
            return "state", "snapshot", ("the batch spikes on the previous snapshot too, but its outlier samples "
                                         "show no data anomaly (hard samples, not bad data)")
        return "data", "snapshot", "the batch spikes again on the previous snapshot; flagged outlier samples"
    if not concentrated(culprits, top_share) or not any(c.get("outlier") for c in culprits):
        return "state", "samples", f"no few samples hold {SAMPLE_SHARE:.0%} of the gradient"
    if rest_recurs:
        return "state", "samples", "the batch still spikes without its outlier samples"
    if not flagged(culprits):
        return "state", "samples", "the outlier samples show no data anomaly (hard at this state only)"
    return "data", "samples", "flagged outlier samples carry the spike; the batch without them does not spike"


def outlier_positions(culprits: Sequence[dict[str, Any]]) -> list[int]:
    """Batch positions held by the outlier culprits (single samples, and the parts named when the re-runs ran out)."""
    out: set[int] = set()
    for c in culprits:
        if c.get("outlier"):
            out.update(int(i) for i in ([c["index"]] if "index" in c else c.get("indices", [])))
    return sorted(out)
