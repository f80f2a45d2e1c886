"""Replay a spike to attribute it: same state (hardware?), the previous snapshot (data or state?), the samples.

:func:`attribute_step` runs on a deep copy of the model, restores the caller's RNG, and never writes ``.grad``:
nothing of the model, the optimizer or the RNG changes. Its cost is bounded by ``max_runs`` re-runs of parts of
the batch, plus ``2 + max_reference`` re-runs of whole batches (1 when the first re-run already says
``hardware``). Memory: one copy of the model (weights and buffers, no gradients) while it runs.
"""

from __future__ import annotations

import copy
import math
import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from ..rng import capture_rng_state, restore_rng_state
from ._batch import BatchLoss, batch_size
from ._rerun import Measure, compare, measure
from .checks import check_samples
from .samples import rank_samples

__all__ = ["SPIKE_KINDS", "VERDICTS", "attribute_step", "event_ratio"]

#: Event kinds that are attributed.
SPIKE_KINDS = ("loss_spike", "explode", "nonfinite")
VERDICTS = ("data", "state", "hardware")
#: Without a snapshot, a batch whose ``top`` samples hold at least this gradient share is blamed on its data.
SAMPLE_SHARE = 0.5
#: A culprit holding at least this many times a fair share (1/n) of the gradient, and 10%, is an outlier.
OUTLIER_SHARE = 3.0


def event_ratio(kind: str, evidence: Mapping[str, Any]) -> tuple[str, float | None, float | None]:
    """(metric, the event's value of it over its baseline, the baseline) from an event's evidence."""
    if kind == "loss_spike":
        loss, base = evidence.get("loss"), evidence.get("median")
        return "loss", _ratio(loss, base), _num(base)
    if kind == "explode":
        norm, base = evidence.get("grad_norm"), evidence.get("history_geomean")
        return "grad_norm", _ratio(norm, base), _num(base)
    return "grad_norm", math.inf, None


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _ratio(value: Any, base: Any) -> float | None:
    v, b = _num(value), _num(base)
    if v is None or b is None:
        return None
    if not math.isfinite(v):
        return math.inf
    return v / b if b > 0 else 1.0 + (v - b) / max(abs(b), 1e-12)


def _metric(m: Measure, metric: str) -> float:
    return m.loss if metric == "loss" else m.grad_norm


def _recurs(kind: str, snap: Measure, ratio: float | None, event_r: float | None) -> bool:
    """The spike recurs at the snapshot: non-finite again (a non-finite event), or a ratio over the snapshot's
    baseline of at least 1.25 and at least the square root of the event's own ratio (half of it in log terms)."""
    if not snap.finite:
        return True
    if ratio is None or not math.isfinite(ratio):
        return ratio is not None
    if kind == "nonfinite":
        return ratio >= 10.0
    need = 1.25 if event_r is None or not math.isfinite(event_r) or event_r <= 1 else max(1.25, math.sqrt(event_r))
    return ratio >= need


def attribute_step(
    model: nn.Module,
    batch: Any,
    batch_loss: BatchLoss,
    *,
    kind: str,
    evidence: Mapping[str, Any] | None = None,
    recorded_loss: float | None = None,
    recorded_grads: Sequence[torch.Tensor | None] | None = None,
    recorded_grad_norm: float | None = None,
    rng_state: Mapping[str, Any] | None = None,
    snapshot: Mapping[str, Any] | None = None,
    snapshot_step: int | None = None,
    reference_batches: Sequence[Any] = (),
    sample_ids: Sequence[int] | None = None,
    top: int = 3,
    max_runs: int = 64,
) -> dict[str, Any]:
    """Attribute one spike of ``model`` (in the state *before* the step) on ``batch``.

    Args:
        model: the model as it was before the spiking step (it is deep-copied, never changed).
        batch, batch_loss: the step's batch and ``batch_loss(model, batch) -> mean loss``.
        kind, evidence: the event's kind (``loss_spike``, ``explode``, ``nonfinite``) and its evidence.
        recorded_loss, recorded_grads, recorded_grad_norm: what the step computed (the hardware test compares
            the re-run with them; without any, it is not run).
        rng_state: the RNG state the step's forward started from (same dropout masks).
        snapshot: a model ``state_dict`` from before the spike (the previous snapshot), and its step.
        reference_batches: other batches since the snapshot (its baseline; else the event's own baseline).
        sample_ids: the batch's samples' indices in the data loader's order, when known.
        top, max_runs: culprits named, and re-runs of parts of the batch allowed (see :func:`rank_samples`).

    Returns:
        ``{"verdict": "data"|"state"|"hardware", "basis", "culprit_samples": [...], "checks": {...},
        "numbers": {...}, "cost_s", "reruns"}``.
    """
    start = time.perf_counter()
    caller_rng = capture_rng_state()
    numbers: dict[str, Any] = {}
    reruns = 0
    try:
        work = copy.deepcopy(model)
        for p in work.parameters():
            p.grad = None  # the copy needs the weights only (the re-runs use torch.autograd.grad)
        flags = {name: m.training for name, m in work.named_modules()}
        metric, event_r, event_base = event_ratio(kind, evidence or {})
        numbers["metric"], numbers["event_ratio"] = metric, event_r
        # (a) the same state and batch
        same = measure(work, batch_loss, batch, rng_state, keep_grads=True)
        reruns += 1
        if recorded_loss is None and recorded_grads is None and recorded_grad_norm is None:
            numbers["same_state"] = {"run": False, "why": "the step's own loss and gradients were not kept",
                                     "rerun_loss": same.loss, "rerun_grad_norm": same.grad_norm}
            hardware = False
        else:
            numbers["same_state"] = compare(same, recorded_loss, recorded_grads, recorded_grad_norm)
            hardware = bool(numbers["same_state"]["mismatch"])
        # (b) the previous snapshot on the same batch, against other batches there
        recurs: bool | None = None
        if hardware:  # the step's own numbers are not reproducible: neither its data nor its state is to blame
            numbers["snapshot"] = {"run": False, "why": "the re-run on the same state differs (hardware)"}
        elif snapshot is not None:
            work.load_state_dict(snapshot)
            at_snap = measure(work, batch_loss, batch, rng_state)
            refs = [measure(work, batch_loss, b, rng_state) for b in reference_batches]
            reruns += 1 + len(refs)
            finite_refs = [_metric(r, metric) for r in refs if r.finite]
            base = statistics.median(finite_refs) if finite_refs else event_base
            ratio = _ratio(_metric(at_snap, metric), base) if base is not None else None
            recurs = _recurs(kind, at_snap, ratio, event_r) if (ratio is not None or not at_snap.finite) else None
            numbers["snapshot"] = {"step": snapshot_step, "loss": at_snap.loss, "grad_norm": at_snap.grad_norm,
                                   "baseline": base, "baseline_from": "reference_batches" if finite_refs else "event",
                                   "reference_batches": len(refs), "ratio": ratio, "recurs": recurs}
            work.load_state_dict(model.state_dict())
            for name, m in work.named_modules():
                m.training = flags[name]
        else:
            numbers["snapshot"] = {"run": False, "why": "no snapshot before the spike"}
        # (c) the samples, at the state before the step
        culprits: list[dict[str, Any]] = []
        n = batch_size(batch)
        if n is not None and n > 1 and not hardware:
            if rng_state is not None:
                restore_rng_state(rng_state)
            culprits, runs, eval_mode = rank_samples(work, batch_loss, batch, n, same.grads, top=top,
                                                     max_runs=max_runs)
            reruns += runs
            numbers["samples"] = {"batch_size": n, "reruns": runs, "eval_mode": eval_mode}
            if sample_ids is not None and len(sample_ids) == n:
                for c in culprits:
                    if "index" in c:
                        c["loader_index"] = int(sample_ids[c["index"]])
        else:
            numbers["samples"] = {"run": False, "why": "hardware" if hardware else
                                  "the batch has no sample dimension shared by its tensors"}
        fair = max(OUTLIER_SHARE / n, 0.1) if n else 0.1
        for c in culprits:
            share = c.get("share")
            c["outlier"] = bool(share >= fair) if share is not None else not math.isfinite(c.get("grad_norm", 0.0))
        shares = [c["share"] for c in culprits if c.get("share") is not None]
        numbers["top_share"] = sum(shares) if shares else None
        if hardware:
            verdict, basis = "hardware", "same_state"
        elif recurs is not None:
            verdict, basis = ("data" if recurs else "state"), "snapshot"
        else:
            top_share = numbers["top_share"]
            concentrated = (top_share is not None and top_share >= SAMPLE_SHARE) or any(
                c.get("share") is None and math.isinf(c.get("grad_norm", 0.0)) for c in culprits)
            verdict, basis = ("data" if concentrated else "state"), "samples"
        singles = [c["index"] for c in culprits if "index" in c]
        checks = check_samples(batch, singles)
        for c in culprits:
            if "index" in c and c["index"] in checks:
                c["flags"] = checks[c["index"]]["flags"]
        result: dict[str, Any] = {"verdict": verdict, "basis": basis, "culprit_samples": culprits,
                                  "checks": {str(k): v for k, v in checks.items()}, "numbers": numbers}
    except Exception as exc:  # an attribution must never stop training
        result = {"verdict": None, "error": f"{type(exc).__name__}: {exc}", "culprit_samples": [], "numbers": numbers}
    finally:
        restore_rng_state(caller_rng)
    result["reruns"] = reruns
    result["cost_s"] = time.perf_counter() - start
    return result
