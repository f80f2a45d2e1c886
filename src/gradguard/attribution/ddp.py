"""Attribution under torch.distributed (DDP): every rank replays its own share of the batch, in step.

Each rank re-runs its local batch on a copy of its (unwrapped) module, without DDP's hooks; the gradients are
averaged with one ``all_reduce`` per re-run of a whole batch, so every rank compares the same global numbers
and reaches the same verdict: ``hardware`` when the averaged re-run differs from the step's averaged gradient
on any rank (a fault on one rank shows on its replica only), ``data``/``state`` from the global batch on the
previous snapshot. Samples are ranked on each rank against the global gradient (shares over the whole global
batch sum to 1), and the top ones of every rank are gathered: culprits are named by rank and index. A rank
whose replay fails tells the others through the same collectives, so nobody waits; a rank that dies is caught
by the process group's timeout. Only DDP-replicated parameters are supported (not FSDP shards).
"""

from __future__ import annotations

import copy
import math
import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from ..rng import capture_rng_state, restore_rng_state
from ._batch import BatchLoss, batch_size
from ._rerun import Measure, compare, measure, trainable
from .checks import check_samples
from .replay import OUTLIER_SHARE, SAMPLE_SHARE, _metric, _ratio, _recurs, event_ratio
from .samples import rank_samples

__all__ = ["attribute_step_ddp", "unwrap"]


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a ``DistributedDataParallel`` wrapper (its re-runs must not trigger DDP's hooks)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def _strip(state: Mapping[str, Any]) -> dict[str, Any]:
    if all(k.startswith("module.") for k in state):
        return {k[len("module."):]: v for k, v in state.items()}
    return dict(state)


class _Collective:
    """The alarm-path collectives: every rank calls each of them the same number of times, in the same order."""

    def __init__(self, group: Any, device: torch.device) -> None:
        self.group, self.device = group, device
        self.world = dist.get_world_size(group)

    def ok(self, failed: bool) -> bool:
        flag = torch.tensor([1.0 if failed else 0.0], dtype=torch.float64, device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self.group)
        return float(flag) == 0.0

    def mean_grads(self, grads: Sequence[torch.Tensor | None], params: Sequence[torch.Tensor],
                   loss: float) -> tuple[list[torch.Tensor], float]:
        flat = torch.cat([(g if g is not None else torch.zeros_like(p)).detach().reshape(-1).double()
                          for g, p in zip(grads, params, strict=True)] + [torch.tensor([loss], dtype=torch.float64,
                                                                                       device=self.device)])
        dist.all_reduce(flat, group=self.group)
        flat /= self.world
        out, start = [], 0
        for p in params:
            out.append(flat[start:start + p.numel()].view_as(p).to(p.dtype))
            start += p.numel()
        return out, float(flat[-1])

    def any_true(self, value: bool) -> bool:
        return not self.ok(value)

    def min_int(self, value: int) -> int:
        t = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MIN, group=self.group)
        return int(t)


def _norm(grads: Sequence[torch.Tensor]) -> float:
    sq = sum(float(g.double().pow(2).sum()) for g in grads)
    return math.sqrt(sq) if math.isfinite(sq) else math.inf


def attribute_step_ddp(
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
    group: Any = None,
) -> dict[str, Any]:
    """:func:`~gradguard.attribution.attribute_step` on every rank of a DDP run at once (call it on every rank,
    with that rank's batch; ``recorded_*`` are the step's global numbers: DDP-averaged ``.grad``, mean loss and
    global norm). Returns the same result on every rank; culprits carry ``"rank"``."""
    start = time.perf_counter()
    caller_rng = capture_rng_state()
    local = unwrap(model)
    params = trainable(local)
    device = params[0].device if params else torch.device("cpu")
    coll = _Collective(group, device)
    numbers: dict[str, Any] = {"world_size": coll.world}
    reruns = 0
    error = ""
    work: nn.Module | None = None
    try:
        work = copy.deepcopy(local)
        for p in work.parameters():
            p.grad = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    try:
        if not coll.ok(bool(error)):
            raise RuntimeError(error or "the replay failed on another rank")
        assert work is not None
        wparams = trainable(work)
        metric, event_r, event_base = event_ratio(kind, evidence or {})
        numbers["metric"], numbers["event_ratio"] = metric, event_r

        def global_measure(b: Any) -> tuple[list[torch.Tensor], float]:
            nonlocal reruns, error
            try:
                m = measure(work, batch_loss, b, rng_state, keep_grads=True)
                grads: Sequence[torch.Tensor | None] = m.grads or [None] * len(wparams)
                loss = m.loss
            except Exception as exc:
                error, grads, loss = f"{type(exc).__name__}: {exc}", [None] * len(wparams), math.nan
            if not coll.ok(bool(error)):
                raise RuntimeError(error or "the replay failed on another rank")
            reruns += 1
            return coll.mean_grads(grads, wparams, loss)

        # (a) the same state and the same (global) batch: any rank's mismatch is everyone's
        same, same_loss = global_measure(batch)
        rerun = Measure(loss=same_loss, grad_norm=_norm(same), grads=list(same))
        if recorded_loss is None and recorded_grads is None and recorded_grad_norm is None:
            numbers["same_state"] = {"run": False, "why": "the step's own loss and gradients were not kept"}
            mismatch = False
        else:
            numbers["same_state"] = compare(rerun, recorded_loss, recorded_grads, recorded_grad_norm)
            mismatch = bool(numbers["same_state"]["mismatch"])
        hardware = coll.any_true(mismatch)
        numbers["same_state"]["mismatch_on_any_rank"] = hardware
        recurs: bool | None = None
        if hardware:
            numbers["snapshot"] = {"run": False, "why": "the re-run on the same state differs (hardware)"}
        elif snapshot is not None:
            work.load_state_dict(_strip(snapshot))
            snap, snap_loss = global_measure(batch)
            at_snap = Measure(loss=snap_loss, grad_norm=_norm(snap))
            refs = []
            for b in list(reference_batches)[:coll.min_int(len(reference_batches))]:
                g, loss_r = global_measure(b)
                refs.append(Measure(loss=loss_r, grad_norm=_norm(g)))
            finite_refs = [_metric(r, metric) for r in refs if r.finite]
            base = statistics.median(finite_refs) if finite_refs else event_base
            ratio = _ratio(_metric(at_snap, metric), base) if base is not None else None
            recurs = _recurs(kind, at_snap, ratio, event_r) if (ratio is not None or not at_snap.finite) else None
            numbers["snapshot"] = {"step": snapshot_step, "loss": at_snap.loss, "grad_norm": at_snap.grad_norm,
                                   "baseline": base, "reference_batches": len(refs), "ratio": ratio,
                                   "recurs": recurs}
            work.load_state_dict(local.state_dict())
        else:
            numbers["snapshot"] = {"run": False, "why": "no snapshot before the spike"}
        # (c) each rank's samples against the global gradient; the top ones of every rank gathered
        culprits: list[dict[str, Any]] = []
        n = batch_size(batch) or 0
        total = coll.min_int(n) * coll.world if n else 0
        if not hardware and total > 1:
            mine: list[dict[str, Any]] = []
            try:
                mine, runs, _ = rank_samples(work, batch_loss, batch, n, same, top=top, max_runs=max_runs,
                                             total=total)
                reruns += runs
                checks = check_samples(batch, [c["index"] for c in mine if "index" in c])
                for c in mine:
                    c["rank"] = dist.get_rank(group)
                    if "index" in c and sample_ids is not None and len(sample_ids) == n:
                        c["loader_index"] = int(sample_ids[c["index"]])
                    if "index" in c and c["index"] in checks:
                        c["flags"] = checks[c["index"]]["flags"]
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            if not coll.ok(bool(error)):
                raise RuntimeError(error or "the replay failed on another rank")
            gathered: list[Any] = [None] * coll.world
            dist.all_gather_object(gathered, mine, group=group)
            everyone = [c for part in gathered for c in part]
            everyone.sort(key=lambda c: -(c["share"] if c.get("share") is not None else
                                          (math.inf if not math.isfinite(c.get("grad_norm", 0.0)) else -math.inf)))
            culprits = everyone[:top]
            numbers["samples"] = {"global_batch_size": total}
        fair = max(OUTLIER_SHARE / total, 0.1) if total else 0.1
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
            concentrated = numbers["top_share"] is not None and numbers["top_share"] >= SAMPLE_SHARE
            verdict, basis = ("data" if concentrated else "state"), "samples"
        result: dict[str, Any] = {"verdict": verdict, "basis": basis, "culprit_samples": culprits,
                                  "numbers": numbers}
    except Exception as exc:
        result = {"verdict": None, "error": f"{type(exc).__name__}: {exc}", "culprit_samples": [],
                  "numbers": numbers}
    finally:
        restore_rng_state(caller_rng)
    result["reruns"] = reruns
    result["cost_s"] = time.perf_counter() - start
    return result
