"""Per-step statistics: computed on the device in fused passes, read to the host once per step.

Every per-tensor figure comes from one ``torch._foreach_norm`` pass over the gradients and weights (L2) and one
extrema pass over the gradients (``_foreach_norm(ord=inf)`` on CUDA, ``aminmax`` on CPU). No gradient is copied
and memory is O(number of tensors). The per-tensor figures, the loss and the scale are stacked into one small
vector that the host reads with a single transfer, the one host sync a step costs, and reduced to layers there
with numpy (sums of squares, maxima). Under ``torch.distributed`` the per-layer reduction runs on the device
instead (``index_add_`` of squares, ``scatter_reduce_`` of maxima, :meth:`StatsCollector.collect_layers`), so that
one collective reduces the per-layer vector across ranks.

Each statistic declares how it reduces across ranks: :data:`REDUCTIONS` across ranks that hold different pieces
of a tensor (FSDP2 shards: sums of squares and counts add, max-abs takes the max), :data:`REPLICA_REDUCTIONS`
across ranks that hold copies of it (DDP: every rank should see the same value, and the max keeps one rank's NaN
visible on all). A norm is the root of the reduced sum of squares, never an average of per-rank norms.
Sharded tensors (DTensors) are measured through their local shard; :mod:`gradguard.distributed` does the
reduction.

The count of non-finite gradient elements is exact and free in the common case: an L2 norm is finite only if
every element is finite, so it is zero wherever the norm is finite. Only when a norm is not finite does
:meth:`StatsCollector.count_nonfinite` count elements (a per-tensor pass and a second host read, on the alarm
path only).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ._tensors import _is_dtensor, _local, clamp_grads_, mul_grads_
from .errors import ConfigError
from .inventory import ParamInventory
from .stats_types import REDUCTIONS, REPLICA_REDUCTIONS, StepStats, UpdateStats

__all__ = ["REDUCTIONS", "REPLICA_REDUCTIONS", "StatsCollector", "StepStats", "UpdateStats", "clamp_grads_",
           "mul_grads_"]


@dataclasses.dataclass(frozen=True)
class _Plan:
    """Index vectors for one set of present gradients, cached (the set rarely changes)."""

    both_idx: torch.Tensor  # device: layer of each grad, then L + layer of each weight
    grad_idx: torch.Tensor  # device: layer of each grad
    factor: torch.Tensor | None  # device: per-norm sum-of-squares factors (distributed), or None
    has: np.ndarray  # host, read-only: per layer, whether some parameter has a gradient
    missing: np.ndarray  # host, read-only: ~has
    any_missing: bool
    sq_idx: np.ndarray  # host: like both_idx, for one bincount of squares into [grad L | weight L]
    ext_idx: np.ndarray  # host: layer of each extremum (min and max of each grad on CPU, max-abs on CUDA)
    any_empty: bool  # some present gradient has no elements (aminmax refuses those)


def check_loss(loss: object) -> None:
    """Refuse a loss that is not a scalar: a one-element tensor, a real number or None (no host read)."""
    if loss is None or (isinstance(loss, (int, float)) and not isinstance(loss, bool)):
        return
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise ConfigError("loss", f"a tensor of shape {tuple(loss.shape)}",
                              "a scalar: a one-element tensor, a float or None",
                              "Reduce it first (e.g. loss.mean()), as backward() needs a scalar too.")
        if loss.is_complex():
            raise ConfigError("loss", f"a {loss.dtype} tensor", "a real-valued scalar tensor, a float or None")
        return
    if isinstance(loss, numbers.Real) and not isinstance(loss, bool):  # numpy scalars and other real numbers
        return
    raise ConfigError("loss", repr(loss)[:60], "a scalar: a one-element tensor, a float or None")


def _dense_values(grads: list[torch.Tensor]) -> list[torch.Tensor]:
    """Sparse gradients (``nn.Embedding(sparse=True)``) as their stored values: norms and extrema over the
    elements that are there (the others are zero). Dense gradients pass through untouched."""
    if not any(g.layout != torch.strided for g in grads):
        return grads
    return [g.coalesce().values() if g.layout == torch.sparse_coo else g for g in grads]


class StatsCollector:
    """Computes :class:`StepStats` for an inventory in fused device passes.

    The collector keeps only small per-step tensors and cached index vectors; it allocates nothing whose size
    depends on the number of parameters' elements, except the optional weight copy for update statistics.
    """

    def __init__(self, inventory: ParamInventory) -> None:
        self.inventory = inventory
        self.num_layers = inventory.num_layers
        self.device = inventory.params[0].device
        self._plans: dict[tuple[int, ...], _Plan] = {}
        self._sharded = any(_is_dtensor(p) for p in inventory.params)
        #: reduce per-tensor figures to layers on the host (fewer device ops); :mod:`gradguard.distributed` turns
        #: it off, since its one collective reduces the per-layer vector across ranks
        self.host_reduce = not self._sharded
        self._layout = (False, False, False, False)  # loss tensor packed, scale packed, CPU extrema, update packed
        self._sq_factor: list[float] | None = None
        self._all_factor: torch.Tensor | None = None
        #: optional ``f(counts) -> counts`` reducing the per-layer non-finite counts across ranks (alarm path)
        self.reduce_counts: Callable[[torch.Tensor], torch.Tensor] | None = None
        self._nan = torch.tensor(float("nan"), dtype=torch.float64, device=self.device)
        self._minus_one = torch.tensor(-1.0, dtype=torch.float64, device=self.device)
        self._one = torch.tensor(1.0, dtype=torch.float64, device=self.device)
        self._packed_update_step = -1
        self._host_loss: float | None = None
        self._nan_layers = torch.full((self.num_layers,), float("nan"), dtype=torch.float64, device=self.device)
        self._all_index = torch.tensor(inventory.layer_of, dtype=torch.long, device=self.device)
        self._prev_weights: list[torch.Tensor] | None = None
        self._prev_weight_sumsq: torch.Tensor | None = None
        self._pending_update: tuple[int, torch.Tensor] | None = None
        self._update_step = -1
        self._update_weight_norm: np.ndarray | None = None

    # ----------------------------------------------------------------------------------------- helpers
    def set_sq_factors(self, factors: Sequence[float] | None) -> None:
        """Weigh each watched tensor's sums of squares by ``factors[k]`` (None: all 1).

        Used by :mod:`gradguard.distributed` so that a plain sum across ranks gives the true sum of squares when
        a layer mixes sharded tensors (factor 1) with tensors every rank holds a copy of (factor 1/copies).
        """
        if factors is not None and len(factors) != len(self.inventory.params):
            raise ValueError(f"set_sq_factors: {len(factors)} factors for {len(self.inventory.params)} tensors")
        plain = factors is None or all(f == 1.0 for f in factors)
        self._sq_factor = None if plain else [float(f) for f in factors]  # type: ignore[union-attr]
        self._all_factor = (None if self._sq_factor is None else
                            torch.tensor(self._sq_factor, dtype=torch.float64, device=self.device))
        if self._sq_factor is not None:
            self.host_reduce = False  # weighted sums are the distributed layout's business
        self._plans.clear()

    def _plan(self, present: tuple[int, ...]) -> _Plan:
        """The cached index vectors for a set of present gradients (see :class:`_Plan`)."""
        plan = self._plans.get(present)
        if plan is None:
            layer_of = self.inventory.layer_of
            L = self.num_layers
            g_idx = [layer_of[k] for k in present]
            both_list = g_idx + [L + layer_of[k] for k in range(len(layer_of))]
            both = torch.tensor(both_list, dtype=torch.long, device=self.device)
            has = np.zeros(L, dtype=bool)
            has[g_idx] = True
            missing = ~has
            has.flags.writeable = missing.flags.writeable = False  # shared by every StepStats of this plan
            f = self._sq_factor
            factor = (None if f is None else
                      torch.tensor([f[k] for k in present] + f, dtype=torch.float64, device=self.device))
            ext = g_idx + g_idx if self.device.type == "cpu" else g_idx
            plan = _Plan(both_idx=both, grad_idx=both[: len(present)], factor=factor, has=has, missing=missing,
                         any_missing=bool(missing.any()), sq_idx=np.asarray(both_list, dtype=np.intp),
                         ext_idx=np.asarray(ext, dtype=np.intp),
                         any_empty=any(self.inventory.params[k].numel() == 0 for k in present))
            if len(self._plans) < 64:  # the set of present gradients rarely changes; bound the cache
                self._plans[present] = plan
        return plan

    def _scalar(self, value: torch.Tensor | float | None) -> torch.Tensor:
        if value is None:
            return self._nan
        if isinstance(value, torch.Tensor):
            return value.detach().reshape(()).to(self.device, torch.float64)
        return torch.tensor(float(value), dtype=torch.float64, device=self.device)

    def _maxabs(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        """Per-tensor max |x| as one float64 vector.

        On CUDA this is the fused multi-tensor ``_foreach_norm(ord=inf)`` kernel. On CPU, where foreach ops are
        per-tensor loops anyway, the inf-norm kernel is about 10x slower than ``aminmax`` (measured with torch
        2.13 on 2 cores), so the CPU path takes max(|min|, |max|) from ``aminmax``; no host read either way.
        """
        if self.device.type != "cpu":
            return self._norms(tensors, float("inf"))
        if not tensors:
            return torch.zeros(0, dtype=torch.float64)
        if self._sharded:  # a rank's shard of a small tensor can be empty, and aminmax refuses empty tensors
            tensors = [t if t.numel() else t.new_zeros(1) for t in tensors]
        mm = [torch.aminmax(t) for t in tensors]
        lo = torch.stack([m.min for m in mm])
        hi = torch.stack([m.max for m in mm])
        return torch.maximum(hi.abs(), lo.abs()).to(torch.float64)

    def _norm_list(self, tensors: list[torch.Tensor], ord: float) -> Sequence[torch.Tensor]:
        """Per-tensor norms as 0-d tensors on the collector's device (fp16/bf16 normed in float32)."""
        if not tensors:
            return ()
        low = tensors[0].dtype in (torch.float16, torch.bfloat16)
        norms = torch._foreach_norm(tensors, ord, dtype=torch.float32) if low else torch._foreach_norm(tensors, ord)
        if any(n.device != self.device for n in norms):
            norms = tuple(n.to(self.device, non_blocking=True) for n in norms)
        return norms

    def _norms(self, tensors: list[torch.Tensor], ord: float) -> torch.Tensor:
        """Per-tensor norms as one float64 vector (fp16/bf16 tensors are normed in float32 to avoid overflow)."""
        if not tensors:
            return torch.zeros(0, dtype=torch.float64, device=self.device)
        return torch.stack(list(self._norm_list(tensors, ord))).to(torch.float64)

    # ----------------------------------------------------------------------------------------- the pass
    def collect(
        self, present: tuple[int, ...], loss: torch.Tensor | float | None, scale: torch.Tensor | None
    ) -> torch.Tensor:
        """Compute the step's statistics on the device and pack them into one vector, read by :meth:`unpack`.

        With :attr:`host_reduce` (the default without ``torch.distributed``) the vector holds per-tensor figures
        (``[loss?, scale?, grad_norm[G], weight_norm[P], grad extrema, update_sumsq[L]?]``, the optional parts
        as the host knows they were packed) and :meth:`unpack` reduces them to layers with numpy: one
        ``torch.stack`` after the norm and extrema passes, instead of a dozen small device ops. Otherwise the
        layout is the per-layer one of :meth:`collect_layers`.
        """
        check_loss(loss)
        if not self.host_reduce:
            return self.collect_layers(present, loss, scale)
        params = self.inventory.params
        grads: list[torch.Tensor] = _dense_values([params[k].grad for k in present])  # type: ignore[misc]
        with torch.no_grad():
            norms = self._norm_list(grads + params, 2.0)  # weights read under no_grad: no detach() per tensor
            on_cpu = self.device.type == "cpu"
            if on_cpu:  # see _maxabs: aminmax beats the CPU inf-norm kernel by ~10x
                empty = self._plan(present).any_empty
                mm = [torch.aminmax(g if not empty or g.numel() else g.new_zeros(1)) for g in grads]
                extrema = [m.min for m in mm] + [m.max for m in mm]
            else:
                extrema = list(self._norm_list(grads, float("inf")))
        parts: list[torch.Tensor] = []
        loss_t = isinstance(loss, torch.Tensor)
        if loss_t:
            parts.append(loss.detach().reshape(()).to(self.device))  # type: ignore[union-attr]
        if scale is not None:
            parts.append(scale.reshape(()))
        packed = torch.stack(parts + list(norms) + extrema)  # dtypes promote (float32 at least, exact on read)
        self._host_loss = None if loss is None or loss_t else float(loss)  # type: ignore[arg-type]
        pending = self._pending_update is not None
        if pending:
            self._packed_update_step, usq = self._pending_update  # type: ignore[misc]
            self._pending_update = None
            packed = torch.cat([packed, usq])
        self._layout = (loss_t, scale is not None, on_cpu, pending)
        return packed

    def collect_layers(
        self, present: tuple[int, ...], loss: torch.Tensor | float | None, scale: torch.Tensor | None
    ) -> torch.Tensor:
        """Compute the step's statistics on the device and pack them per layer into one float64 vector.

        Args:
            present: indices (into the inventory) of parameters whose ``.grad`` is set this step.
            loss: the step's loss (detached here), a float, or None.
            scale: the GradScaler scale tensor, or None.

        Layout: ``[loss, scale, global_sumsq, update_step, grad_sumsq[L], weight_sumsq[L], grad_maxabs[L],
        update_sumsq[L]]``; ``global_sumsq`` is the sum of ``grad_sumsq``. For sharded tensors (DTensors) every
        figure is of this rank's shard; ``gradguard.distributed`` reduces the vector across ranks.
        """
        params = self.inventory.params
        L = self.num_layers
        plan = self._plan(present)
        both_idx, grad_idx, factor = plan.both_idx, plan.grad_idx, plan.factor
        grads: list[torch.Tensor] = _dense_values([params[k].grad for k in present])  # type: ignore[misc]
        weights: list[torch.Tensor] = params  # read under no_grad below: no per-parameter detach()
        if self._sharded:
            grads, weights = [_local(g) for g in grads], [_local(w.detach()) for w in weights]
        with torch.no_grad():
            norms = self._norms(grads + weights, 2.0)
        squares = norms * norms if factor is None else norms * norms * factor
        sumsq = torch.zeros(2 * L, dtype=torch.float64, device=self.device).index_add_(0, both_idx, squares)
        gmax = torch.zeros(L, dtype=torch.float64, device=self.device)
        if present:
            gmax.scatter_reduce_(0, grad_idx, self._maxabs(grads), reduce="amax")
        if self._pending_update is not None:
            upd_step, upd = self._pending_update
            self._pending_update = None
            self._packed_update_step = upd_step  # known on the host: only a flag travels (no host-to-device copy)
            step_t = self._one
        else:
            step_t, upd = self._minus_one, self._nan_layers
        # a float loss travels in the vector too: under torch.distributed every input of a decision is reduced
        # across ranks, so a NaN or spike in one rank's float loss reaches every rank (one small host-to-device copy)
        self._host_loss = None
        head = torch.stack([self._scalar(loss), self._scalar(scale),
                            sumsq[:L].sum(), step_t])
        return torch.cat([head, sumsq, gmax, upd])

    def unpack(
        self, host: Sequence[float], step: int, lrs: tuple[float, ...], *, present: tuple[int, ...],
        has_loss: bool, has_scaler: bool,
    ) -> tuple[StepStats, UpdateStats | None]:
        """Turn the host copy of :meth:`collect`'s vector into :class:`StepStats` (and a pending update).

        Few numpy calls on purpose: right after the passes over the gradients each one costs tens of
        microseconds (cold caches), so squares, roots and maxima are done once over concatenated blocks.
        """
        a = np.asarray(host, dtype=np.float64)
        L = self.num_layers
        plan = self._plan(present)
        if self.host_reduce:
            loss, scale, grad_sumsq, norms, gmax, usq, upd_step = self._layers_on_host(a, plan, len(present))
        else:
            loss, scale, grad_sumsq, upd_flag = a[:4]
            upd_step = self._packed_update_step if upd_flag > 0 else -1
            with np.errstate(invalid="ignore"):
                norms = np.sqrt(a[4: 4 + 2 * L])
            gmax, usq = a[4 + 2 * L: 4 + 3 * L].copy(), a[4 + 3 * L: 4 + 4 * L]
        if self._host_loss is not None:
            loss = self._host_loss
        gnorm, wnorm = norms[:L], norms[L:]
        if plan.any_missing:
            gnorm[plan.missing] = np.nan
            gmax[plan.missing] = np.nan
        grad_norm = math.sqrt(grad_sumsq) if grad_sumsq >= 0 else math.nan  # NaN/Inf pass through
        # exact when every norm is finite; count_nonfinite() replaces the -1 markers otherwise
        if math.isfinite(grad_norm):
            nonfinite = np.zeros(L, dtype=np.int64)
        else:
            nonfinite = np.where(np.isfinite(gnorm) | plan.missing, 0, -1).astype(np.int64)
        stats = StepStats(
            step=step,
            loss=float(loss) if has_loss else None,
            grad_norm=grad_norm,
            scale=float(scale) if has_scaler else None,
            lrs=lrs,
            layer_grad_norm=gnorm,
            layer_grad_maxabs=gmax,
            layer_grad_nonfinite=nonfinite,
            layer_weight_norm=wnorm,
            layer_has_grad=plan.has,
        )
        update = None
        if upd_step >= 0 and self._update_weight_norm is not None:
            unorm = np.sqrt(usq)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = unorm / self._update_weight_norm
            update = UpdateStats(step=int(upd_step), layer_update_norm=unorm, layer_update_ratio=ratio)
            self._update_weight_norm = None
        return stats, update

    def _layers_on_host(self, a: np.ndarray, plan: _Plan, n_grads: int) -> tuple[
            float, float, float, np.ndarray, np.ndarray, np.ndarray, int]:
        """Reduce :meth:`collect`'s per-tensor vector to the global gradient sum of squares, per-layer norms
        ``[grad L | weight L]`` and per-layer max-abs."""
        loss_t, has_scale, minmax, pending = self._layout
        L = self.num_layers
        i = int(loss_t) + int(has_scale)
        loss = a[0] if loss_t else math.nan
        scale = a[i - 1] if has_scale else math.nan
        n_norms = n_grads + len(self.inventory.params)
        n_ext = 2 * n_grads if minmax else n_grads
        with np.errstate(over="ignore", invalid="ignore"):  # NaN/Inf gradients pass through as NaN/Inf
            sq = np.bincount(plan.sq_idx, weights=np.square(a[i: i + n_norms]), minlength=2 * L)
            norms = np.sqrt(sq)
            gmax = np.zeros(L)
            np.maximum.at(gmax, plan.ext_idx, np.abs(a[i + n_norms: i + n_norms + n_ext]))
        j = i + n_norms + n_ext
        usq = a[j: j + L] if pending else a[:0]
        return loss, scale, float(sq[:L].sum()), norms, gmax, usq, self._packed_update_step if pending else -1

    def count_nonfinite(self, stats: StepStats, present: tuple[int, ...]) -> StepStats:
        """Exact per-layer counts of NaN/Inf gradient elements (alarm path: a per-tensor pass and a host read)."""
        grads = [_local(self.inventory.params[k].grad) for k in present]  # type: ignore[arg-type]
        counts = torch.zeros(self.num_layers, dtype=torch.long, device=self.device)
        if grads:
            per_tensor = torch.stack([(~torch.isfinite(g)).sum() for g in grads])
            counts.index_add_(0, self._plan(present).grad_idx, per_tensor.to(self.device))
        if self.reduce_counts is not None:  # every rank is on this path together: the decision to count is reduced
            counts = self.reduce_counts(counts)
        elif not grads:
            return stats
        host = np.asarray(counts.tolist(), dtype=np.int64)
        return dataclasses.replace(stats, layer_grad_nonfinite=host)

    # ----------------------------------------------------------------------------------------- updates
    def begin_update(self, stats: StepStats) -> None:
        """Copy the weights so that :meth:`end_update` can measure this step's update.

        Costs one transient buffer the size of the watched weights (float32, or float64 if any weight is) and a
        fused copy into it; the buffer is freed by :meth:`end_update`.
        """
        weights = [_local(p.detach()) for p in self.inventory.params]
        dtype = torch.float64 if any(w.dtype == torch.float64 for w in weights) else torch.float32
        flat = torch.empty(sum(w.numel() for w in weights), dtype=dtype, device=self.device)
        views = [v.view(w.shape) for v, w in zip(flat.split([w.numel() for w in weights]), weights)]
        torch._foreach_copy_(views, weights)
        self._prev_weights = views
        self._update_step = stats.step
        self._update_weight_norm = stats.layer_weight_norm

    def end_update(self) -> None:
        """Measure ``||w_after - w_before||`` per layer on the device; it is read with the next step's stats."""
        if self._prev_weights is None:
            return
        diff = self._prev_weights
        torch._foreach_sub_(diff, [_local(p.detach()) for p in self.inventory.params])
        norms = self._norms(diff, 2.0)
        squares = norms * norms if self._all_factor is None else norms * norms * self._all_factor
        usq = torch.zeros(self.num_layers, dtype=torch.float64, device=self.device)
        usq.index_add_(0, self._all_index, squares)
        self._prev_weights = None
        self._pending_update = (self._update_step, usq)

    def drain_update(self) -> UpdateStats | None:
        """Read a measured-but-unread update now (one host read; used when the run closes)."""
        if self._pending_update is None or self._update_weight_norm is None:
            return None
        step, usq = self._pending_update
        self._pending_update = None
        unorm = np.sqrt(np.asarray(usq.tolist(), dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = unorm / self._update_weight_norm
        self._update_weight_norm = None
        return UpdateStats(step=step, layer_update_norm=unorm, layer_update_ratio=ratio)
