"""Attribution under torch.distributed (DDP): every rank replays its own share of the batch, in step.

Each rank re-runs its local batch on a copy of its (unwrapped) module, without DDP's hooks; the gradients are
averaged with one ``all_reduce`` per re-run of a whole batch, so every rank compares the same global numbers
and reaches the same verdict: ``hardware`` when the averaged re-run differs from the step's averaged gradient
on any rank (a fault on one rank shows on its replica only), ``data``/``state`` from the global batch on the
previous snapshot. Samples are ranked on each rank against the global gradient (shares over the whole global
batch sum to 1), and the top ones of every rank are gathered: culprits are named by rank and index. A rank
whose replay fails tells the others through the same collectives, so nobody waits; a rank that dies is caught
by the process group's timeout. Without a snapshot, the batch without the outlier culprits is re-run on every
rank (each drops its own), as in the single-process replay. Only DDP-replicated parameters are supported (not
FSDP shards).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from ..rng import capture_rng_state, restore_rng_state
from ._batch import BatchLoss, batch_size, select
from ._rerun import Measure, compare, measure, trainable
from ._verdict import Replay, decide, event_ratio, mark_outliers, outlier_positions
from .checks import check_samples
from .replay import rest_numbers, snapshot_numbers
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

    def sum_float(self, value: float) -> float:
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, group=self.group)
        return float(t)

    def any_true(self, value: bool) -> bool:
        return not self.ok(value)

    def min_int(self, value: int) -> int:
        t = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MIN, group=self.group)
        return int(t)


def _norm(grads: Sequence[torch.Tensor]) -> float:
    sq = sum(float(g.double().pow(2).sum()) for g in grads)
    return math.sqrt(sq) if math.isfinite(sq) else math.inf


def attribute_step_ddp(model: nn.Module, batch: Any, batch_loss: BatchLoss, replay: Replay, *,
                       group: Any = None) -> dict[str, Any]:
    """:func:`~gradguard.attribution.attribute_step` on every rank of a DDP run at once (call it on every rank,
    with that rank's batch; ``replay.recorded_*`` are the step's global numbers: DDP-averaged ``.grad``, mean loss
    and global norm; ``group``: the process group, default the world). Returns the same result on every rank;
    culprits carry ``"rank"``."""
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
    rng = replay.rng_state
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
        metric, event_r, event_base = event_ratio(replay.kind, replay.evidence or {})
        numbers["metric"], numbers["event_ratio"] = metric, event_r

        def global_measure(b: Any) -> tuple[list[torch.Tensor], float]:
            nonlocal reruns, error
            try:
                m = measure(work, batch_loss, b, rng, keep_grads=True)
                grads: Sequence[torch.Tensor | None] = m.grads or [None] * len(wparams)
                loss = m.loss
            except Exception as exc:
                error, grads, loss = f"{type(exc).__name__}: {exc}", [None] * len(wparams), math.nan
            if not coll.ok(bool(error)):
                raise RuntimeError(error or "the replay failed on another rank")
            reruns += 1
            return coll.mean_grads(grads, wparams, loss)

        def global_loss_norm(b: Any) -> Measure:
            g, loss = global_measure(b)
            return Measure(loss=loss, grad_norm=_norm(g))

        # (a) the same state and the same (global) batch: any rank's mismatch is everyone's
        same, same_loss = global_measure(batch)
        rerun = Measure(loss=same_loss, grad_norm=_norm(same), grads=list(same))
        if not replay.has_record:
            numbers["same_state"] = {"run": False, "why": "the step's own loss and gradients were not kept"}
            mismatch = False
        else:
            numbers["same_state"] = compare(rerun, replay.recorded_loss, replay.recorded_grads,
                                            replay.recorded_grad_norm)
            mismatch = bool(numbers["same_state"]["mismatch"])
        hardware = coll.any_true(mismatch)
        numbers["same_state"]["mismatch_on_any_rank"] = hardware
        at_snapshot: bool | None = None
        if hardware:
            numbers["snapshot"] = {"run": False, "why": "the re-run on the same state differs (hardware)"}
        elif replay.snapshot is not None:
            work.load_state_dict(_strip(replay.snapshot))
            at_snap = global_loss_norm(batch)
            refs_in = list(replay.reference_batches)
            refs = [global_loss_norm(b) for b in refs_in[:coll.min_int(len(refs_in))]]
            at_snapshot, numbers["snapshot"] = snapshot_numbers(replay.kind, metric, event_r, event_base, at_snap,
                                                                refs, replay.snapshot_step)
            work.load_state_dict(local.state_dict())
        else:
            numbers["snapshot"] = {"run": False, "why": "no snapshot before the spike"}
        # (c) each rank's samples against the global gradient; the top ones of every rank gathered
        culprits: list[dict[str, Any]] = []
        n = batch_size(batch) or 0
        total = coll.min_int(n) * coll.world if n else 0
        me = dist.get_rank(group)
        if not hardware and total > 1:
            mine: list[dict[str, Any]] = []
            raw: float | None = None
            try:
                mine, runs, _, raw = rank_samples(work, batch_loss, batch, n, same, top=replay.top,
                                                  max_runs=replay.max_runs, total=total, normalize=False)
                reruns += runs
                checks = check_samples(batch, [c["index"] for c in mine if "index" in c])
                ids = replay.sample_ids
                for c in mine:
                    c["rank"] = me
                    if "index" in c and ids is not None and len(ids) == n:
                        c["loader_index"] = int(ids[c["index"]])
                    if "index" in c and c["index"] in checks:
                        c["flags"] = checks[c["index"]]["flags"]
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            if not coll.ok(bool(error)):
                raise RuntimeError(error or "the replay failed on another rank")
            share_sum = coll.sum_float(raw if raw is not None and math.isfinite(raw) else math.nan)
            if math.isfinite(share_sum) and share_sum > 0:  # normalized over the global batch, as in rank_samples
                for c in mine:
                    if c.get("share") is not None:
                        c["share"] /= share_sum
            gathered: list[Any] = [None] * coll.world
            dist.all_gather_object(gathered, mine, group=group)
            everyone = [c for part in gathered for c in part]
            everyone.sort(key=lambda c: -(c["share"] if c.get("share") is not None else
                                          (math.inf if not math.isfinite(c.get("grad_norm", 0.0)) else -math.inf)))
            culprits = everyone[:replay.top]
            numbers["samples"] = {"global_batch_size": total, "raw_share_sum": share_sum}
        numbers["top_share"] = mark_outliers(culprits, total)
        # (d) without a snapshot: the global batch without the outlier culprits (each rank drops its own)
        without: bool | None = None
        removed = outlier_positions([c for c in culprits if c.get("rank") == me])
        any_removed = coll.any_true(bool(removed))  # both collectives on every rank, whatever its batch
        rest_min = coll.min_int(n - len(removed))
        if at_snapshot is None and not hardware and total > 1 and any_removed and rest_min > 0:
            rest = global_loss_norm(select(batch, [i for i in range(n) if i not in set(removed)]))
            without, numbers["without_culprits"] = rest_numbers(
                replay.kind, metric, event_r, event_base, rest,
                [[c.get("rank"), i] for c in culprits if c.get("outlier")
                 for i in ([c["index"]] if "index" in c else c.get("indices", []))])
        verdict, basis, numbers["why"] = decide(hardware, at_snapshot, culprits, numbers["top_share"], without)
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
