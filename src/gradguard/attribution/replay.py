"""Replay a spike to attribute it: same state (hardware?), the previous snapshot (data or state?), the samples.

:func:`attribute_step` runs on a deep copy of the model, restores the caller's RNG, and never writes ``.grad``:
nothing of the model, the optimizer or the RNG changes. Its cost is bounded by ``max_runs`` re-runs of parts of
the batch, plus ``2 + max_reference`` re-runs of whole batches (1 when the first re-run already says
``hardware``), and one re-run of the batch without its culprits when there is no snapshot. Memory: one copy of
the model (weights and buffers, no gradients) while it runs.
"""

from __future__ import annotations

import copy
import statistics
import time
from typing import Any

from torch import nn

from ..rng import capture_rng_state, restore_rng_state
from ._batch import BatchLoss, batch_size, select
from ._rerun import Measure, compare, measure
from ._verdict import (
    OUTLIER_SHARE,
    SAMPLE_SHARE,
    SPIKE_KINDS,
    VERDICTS,
    Replay,
    decide,
    event_ratio,
    mark_outliers,
    metric_of,
    outlier_positions,
    ratio,
    recurs,
)
from .checks import check_samples
from .samples import rank_samples

__all__ = ["OUTLIER_SHARE", "SAMPLE_SHARE", "SPIKE_KINDS", "VERDICTS", "Replay", "attribute_step", "event_ratio",
           "rest_numbers", "snapshot_numbers"]


def snapshot_numbers(kind: str, metric: str, event_r: float | None, event_base: float | None, at_snap: Measure,
                     refs: list[Measure], snapshot_step: int | None) -> tuple[bool | None, dict[str, Any]]:
    """(whether the spike recurs at the snapshot, the numbers behind it) from the re-runs made there."""
    finite_refs = [metric_of(r, metric) for r in refs if r.finite]
    base = statistics.median(finite_refs) if finite_refs else event_base
    r = ratio(metric_of(at_snap, metric), base) if base is not None else None
    again = recurs(kind, at_snap, r, event_r)
    return again, {"step": snapshot_step, "loss": at_snap.loss, "grad_norm": at_snap.grad_norm, "baseline": base,
                   "baseline_from": "reference_batches" if finite_refs else "event",
                   "reference_batches": len(refs), "ratio": r, "recurs": again}


def rest_numbers(kind: str, metric: str, event_r: float | None, event_base: float | None, rest: Measure,
                 removed: list[Any]) -> tuple[bool | None, dict[str, Any]]:
    """(whether the batch without its outlier culprits still spikes, the numbers behind it)."""
    r = ratio(metric_of(rest, metric), event_base) if event_base is not None else None
    again = recurs(kind, rest, r, event_r)
    return again, {"removed": removed, "loss": rest.loss, "grad_norm": rest.grad_norm, "baseline": event_base,
                   "ratio": r, "recurs": again}


def attribute_step(model: nn.Module, batch: Any, batch_loss: BatchLoss, replay: Replay) -> dict[str, Any]:
    """Attribute one spike of ``model`` (in the state *before* the step) on ``batch``.

    Args:
        model: the model as it was before the spiking step (it is deep-copied, never changed).
        batch, batch_loss: the step's batch and ``batch_loss(model, batch) -> mean loss``.
        replay: the event and what the step recorded (see :class:`Replay`).

    The verdict: ``hardware`` when a re-run on the same state and batch differs from the recorded step; else
    ``data`` when the batch carries the spike -- with a snapshot, it spikes again there (against the other
    batches since); without one, the outlier culprits hold at least half the batch gradient and the batch
    without them does not spike (its ratio over the event's baseline is below max(1.25, sqrt of the event's
    ratio)) -- and an outlier culprit shows a data anomaly (a data-check flag, or a non-finite loss); else
    ``state`` (see :func:`~gradguard.attribution._verdict.decide`).

    Returns:
        ``{"verdict": "data"|"state"|"hardware", "basis", "culprit_samples": [...], "checks": {...},
        "numbers": {...}, "cost_s", "reruns"}`` (``verdict`` None and ``error`` when the replay failed).
    """
    start = time.perf_counter()
    caller_rng = capture_rng_state()
    numbers: dict[str, Any] = {}
    reruns = 0
    rng = replay.rng_state
    try:
        work = copy.deepcopy(model)
        for p in work.parameters():
            p.grad = None  # the copy needs the weights only (the re-runs use torch.autograd.grad)
        flags = {name: m.training for name, m in work.named_modules()}
        metric, event_r, event_base = event_ratio(replay.kind, replay.evidence or {})
        numbers["metric"], numbers["event_ratio"] = metric, event_r
        # (a) the same state and batch
        same = measure(work, batch_loss, batch, rng, keep_grads=True)
        reruns += 1
        if not replay.has_record:
            numbers["same_state"] = {"run": False, "why": "the step's own loss and gradients were not kept",
                                     "rerun_loss": same.loss, "rerun_grad_norm": same.grad_norm}
            hardware = False
        else:
            numbers["same_state"] = compare(same, replay.recorded_loss, replay.recorded_grads,
                                            replay.recorded_grad_norm)
            hardware = bool(numbers["same_state"]["mismatch"])
        # (b) the previous snapshot on the same batch, against other batches there
        at_snapshot: bool | None = None
        if hardware:  # the step's own numbers are not reproducible: neither its data nor its state is to blame
            numbers["snapshot"] = {"run": False, "why": "the re-run on the same state differs (hardware)"}
        elif replay.snapshot is not None:
            work.load_state_dict(replay.snapshot)
            at_snap = measure(work, batch_loss, batch, rng)
            refs = [measure(work, batch_loss, b, rng) for b in replay.reference_batches]
            reruns += 1 + len(refs)
            at_snapshot, numbers["snapshot"] = snapshot_numbers(replay.kind, metric, event_r, event_base, at_snap,
                                                                refs, replay.snapshot_step)
            work.load_state_dict(model.state_dict())
            for name, m in work.named_modules():
                m.training = flags[name]
        else:
            numbers["snapshot"] = {"run": False, "why": "no snapshot before the spike"}
        # (c) the samples, at the state before the step
        culprits: list[dict[str, Any]] = []
        n = batch_size(batch)
        if n is not None and n > 1 and not hardware:
            if rng is not None:
                restore_rng_state(rng)
            culprits, runs, eval_mode, share_sum = rank_samples(work, batch_loss, batch, n, same.grads,
                                                                top=replay.top, max_runs=replay.max_runs)
            reruns += runs
            numbers["samples"] = {"batch_size": n, "reruns": runs, "eval_mode": eval_mode,
                                  "raw_share_sum": share_sum}
            ids = replay.sample_ids
            if ids is not None and len(ids) == n:
                for c in culprits:
                    if "index" in c:
                        c["loader_index"] = int(ids[c["index"]])
        else:
            numbers["samples"] = {"run": False, "why": "hardware" if hardware else
                                  "the batch has no sample dimension shared by its tensors"}
        numbers["top_share"] = mark_outliers(culprits, n or 0)
        # (d) without a snapshot: does the batch still spike without its outlier culprits?
        without: bool | None = None
        removed = outlier_positions(culprits)
        if at_snapshot is None and not hardware and n and removed and len(removed) < n:
            rest = measure(work, batch_loss, select(batch, [i for i in range(n) if i not in set(removed)]), rng)
            reruns += 1
            without, numbers["without_culprits"] = rest_numbers(replay.kind, metric, event_r, event_base, rest,
                                                                removed)
        singles = [c["index"] for c in culprits if "index" in c]
        checks = check_samples(batch, singles)
        for c in culprits:
            if "index" in c and c["index"] in checks:
                c["flags"] = checks[c["index"]]["flags"]
        verdict, basis, numbers["why"] = decide(hardware, at_snapshot, culprits, numbers["top_share"], without)
        result: dict[str, Any] = {"verdict": verdict, "basis": basis, "culprit_samples": culprits,
                                  "checks": {str(k): v for k, v in checks.items()}, "numbers": numbers}
    except Exception as exc:  # an attribution must never stop training
        result = {"verdict": None, "error": f"{type(exc).__name__}: {exc}", "culprit_samples": [], "numbers": numbers}
    finally:
        restore_rng_state(caller_rng)
    result["reruns"] = reruns
    result["cost_s"] = time.perf_counter() - start
    return result
