"""Per-step statistics: computed on the device in fused passes, read to the host once per step.

Every per-tensor figure comes from one ``torch._foreach_norm`` pass over the gradients and weights (L2) and one
extrema pass over the gradients (``_foreach_norm(ord=inf)`` on CUDA; on CPU fused ``_foreach_abs`` +
``_foreach_max`` for small tensors and ``aminmax`` for large ones). No gradient is copied and memory is O(number of
tensors). The per-tensor figures, the loss and the scale are stacked into one small vector that the host reads
with a single transfer (the one host sync a step costs, or none until the next step in the deferred mode of
:mod:`gradguard.deferred`), and reduced to layers there with numpy (sums of squares, maxima). Under
``torch.distributed`` the per-layer reduction runs on the device instead (``index_add_`` of squares,
``scatter_reduce_`` of maxima, :meth:`StatsCollector.collect_layers`), so that one collective reduces the
per-layer vector across ranks.

The per-step host work does not loop over tensors in Python beyond reading each parameter's ``.grad`` once (as
``clip_grad_norm_`` does): the layout of a step (which gradients are present, where each figure goes) is a cached
:class:`~gradguard.stats_plan.Plan`, and the host reduction is a handful of numpy calls over the packed vector.

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

import math
import operator
from collections.abc import Callable, Sequence
from functools import partial
from itertools import compress

import numpy as np
import torch

from ._tensors import _is_dtensor, _local, clamp_grads_, mul_grads_
from .inventory import ParamInventory
from .stats_plan import Plan, build_plan, check_loss, cpu_extrema, dense_values
from .stats_types import REDUCTIONS, REPLICA_REDUCTIONS, StepStats, UpdateStats, known_totals
from .stats_update import UpdateMeter

__all__ = ["REDUCTIONS", "REPLICA_REDUCTIONS", "StatsCollector", "StepStats", "UpdateStats", "check_loss",
           "clamp_grads_", "mul_grads_"]

_GRAD = operator.attrgetter("grad")
_IS_NONE = partial(operator.is_, None)
_IS_SET = partial(operator.is_not, None)


class StatsCollector:
    """Computes :class:`StepStats` for an inventory in fused device passes.

    The collector keeps only small per-step tensors and cached index vectors; it allocates nothing whose size
    depends on the number of parameters' elements, except the optional weight copy for update statistics.
    """

    def __init__(self, inventory: ParamInventory) -> None:
        self.inventory = inventory
        self.num_layers = inventory.num_layers
        self.device = inventory.params[0].device
        self._plans: dict[tuple[int, ...], Plan] = {}
        self._all = tuple(range(len(inventory.params)))
        self._grads: list[torch.Tensor] = []
        self._sharded = any(_is_dtensor(p) for p in inventory.params)
        #: reduce per-tensor figures to layers on the host (fewer device ops); :mod:`gradguard.distributed` turns
        #: it off, since its one collective reduces the per-layer vector across ranks
        self.host_reduce = not self._sharded
        self._layout = (False, False, False, True)  # loss tensor packed, scale packed, update packed, full step
        #: the weight norms of the latest full step read (see :meth:`collect`'s ``full``), reused until the next one
        self.weights: np.ndarray | None = None
        self._full_issued = False  # a full step was packed (its weight norms are read before any later step's)
        #: the latest step read raised an event or had non-finite gradients or loss: measure the next one in full
        self.alert = False
        self._sq_factor: list[float] | None = None
        #: optional ``f(counts) -> counts`` reducing the per-layer non-finite counts across ranks (alarm path)
        self.reduce_counts: Callable[[torch.Tensor], torch.Tensor] | None = None
        self._nan = torch.tensor(float("nan"), dtype=torch.float64, device=self.device)
        self._minus_one = torch.tensor(-1.0, dtype=torch.float64, device=self.device)
        self._one = torch.tensor(1.0, dtype=torch.float64, device=self.device)
        self._packed_update_step = -1
        self._host_loss: float | None = None
        self._nan_cache: np.ndarray | None = None
        self._weights_finite: bool | None = None  # whether :attr:`weights` are all finite (None: not known yet)
        self._weight_norm: float | None = None  # the global norm of :attr:`weights` (None: not known yet)
        self._totals_of: np.ndarray | None = None  # the :attr:`weights` those two totals belong to
        self._nan_layers = torch.full((self.num_layers,), float("nan"), dtype=torch.float64, device=self.device)
        self.updates = UpdateMeter(inventory, self.device)
        #: where the latest packed vector holds the global gradient sum of squares (float64)
        self.gsq_index = 0
        self.gsq_view: torch.Tensor | None = None  # the packed vector's [gsq_index] (host_reduce), a kept view
        self._ring: dict[tuple[int, ...], tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]] = {}
        self._turn = 0

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
        self.updates.all_factor = (None if self._sq_factor is None else
                                   torch.tensor(self._sq_factor, dtype=torch.float64, device=self.device))
        if self._sq_factor is not None:
            self.host_reduce = False  # weighted sums are the distributed layout's business
        self._plans.clear()

    def gather(self) -> Plan:
        """Read every watched parameter's ``.grad`` (the one per-tensor step on the host) and return the step's
        cached :class:`Plan`; the gradients are kept for :meth:`collect`."""
        grads = list(map(_GRAD, self.inventory.params))
        if any(map(_IS_NONE, grads)):
            present = tuple(compress(self._all, map(_IS_SET, grads)))
            grads = list(compress(grads, map(_IS_SET, grads)))
        else:
            present = self._all
        self._grads = grads
        return self._plan(present, grads)

    def _plan(self, present: tuple[int, ...], grads: list[torch.Tensor] | None = None) -> Plan:
        """The cached :class:`Plan` for a set of present gradients."""
        plan = self._plans.get(present)
        if plan is None:
            if grads is None:
                grads = [self.inventory.params[k].grad for k in present]  # type: ignore[misc]
            plan = build_plan(self.inventory, present, grads, self.device, self._sq_factor)
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
        """Per-tensor max |x| as one float64 vector (the distributed layout; see :meth:`collect` for CPU)."""
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
        if norms[0].device != self.device or norms[-1].device != self.device:
            norms = tuple(n.to(self.device, non_blocking=True) for n in norms)
        return norms

    def _norms(self, tensors: list[torch.Tensor], ord: float) -> torch.Tensor:
        """Per-tensor norms as one float64 vector (fp16/bf16 tensors are normed in float32 to avoid overflow)."""
        if not tensors:
            return torch.zeros(0, dtype=torch.float64, device=self.device)
        return torch.stack(list(self._norm_list(tensors, ord))).to(torch.float64)

    # ----------------------------------------------------------------------------------------- the pass
    def wants_full(self, step: int, every: int, update_every: int) -> bool:
        """Whether ``step`` is measured in full (weight norms and per-layer max |g|): each of the first ``4 every``
        steps (where windows over the weight norms are short: a weight-growth check over steps 0-5-10 needs them
        all), then every ``every`` steps, on the steps whose update is measured, after an alarm (:attr:`alert`),
        and whenever no weight norm is known yet; always with the per-layer (distributed) layout."""
        return (every <= 1 or step % every == 0 or step < 4 * every or self.alert or not self._full_issued
                or not self.host_reduce or (update_every > 0 and step % update_every == 0))

    def collect(
        self, present: tuple[int, ...] | Plan, loss: torch.Tensor | float | None, scale: torch.Tensor | None,
        *, full: bool = True,
    ) -> torch.Tensor:
        """Compute the step's statistics on the device and pack them into one vector, read by :meth:`unpack`.

        ``present``: the :class:`Plan` :meth:`gather` returned (or the indices of the present gradients).
        With :attr:`host_reduce` (the default without ``torch.distributed``) the vector holds per-tensor figures
        (``[loss?, scale?, grad_norm[G], weight_norm[P], grad extrema, update_sumsq[L]?]``, the optional parts
        as the host knows they were packed) and :meth:`unpack` reduces them to layers with numpy: one
        ``torch.stack`` after the norm and extrema passes, instead of a dozen small device ops. Otherwise the
        layout is the per-layer one of :meth:`collect_layers`.

        ``full=False`` (a sampled step, see :meth:`wants_full`): only the gradients' norms are computed, not the
        weights' norms nor the gradients' extrema; :meth:`unpack` then gives the latest full step's weight norms
        and NaN max-abs (``StepStats.full`` is False). The per-layer layout is always full.
        """
        check_loss(loss)
        plan = self._as_plan(present)
        if not self.host_reduce:
            return self.collect_layers(plan, loss, scale)
        params = self.inventory.params
        grads = dense_values(self._grads, plan.sparse)
        full = full or not grads
        with torch.no_grad():  # weights read, figures stacked into out=: no autograd
            if not full:
                norms, extrema = self._norm_list(grads, 2.0), []
            else:
                norms = self._norm_list(grads + params, 2.0)  # weights read under no_grad: no detach() per tensor
                extrema = cpu_extrema(grads, plan) if plan.small is not None else list(
                    self._norm_list(grads, float("inf")))
                self._full_issued = True
            parts: list[torch.Tensor] = []
            loss_t = isinstance(loss, torch.Tensor)
            if loss_t:  # stacked under no_grad: no detach; a 0-d loss on this device as it is (each call costs)
                t: torch.Tensor = loss  # type: ignore[assignment]  # narrowed by loss_t (one isinstance a step)
                x = t if t.dim() == 0 else t.reshape(())
                parts.append(x if x.device == self.device else x.to(self.device))
            if scale is not None:
                parts.append(scale.reshape(()))
            items = parts + list(norms) + extrema
            n, i = len(items), len(parts)
            pending = self.updates.take()
            usq = None
            if pending is not None:
                self._packed_update_step, usq = pending
            size = n + 1 + (0 if usq is None else usq.numel())
            packed, head, g, gsq = self._packed(size, n, i, len(grads))
            # stacked in the figures' own dtype (promoted: exact), then cast to float64 by one copy: a stack into a
            # float64 out= casts element by element (35 us for 16 float32 scalars on CPU, against 6 + 2 here)
            head.copy_(torch.stack(items))
            # the global sum of squares on the device: what device-side decisions read (gradguard.deferred), and
            # the host too, so that both modes decide from the very same number
            torch.dot(g, g, out=gsq)
            if usq is not None:
                packed[n + 1:].copy_(usq)
        self.gsq_index, self.gsq_view = n, gsq
        self._host_loss = None if loss is None or loss_t else float(loss)  # type: ignore[arg-type]
        self._layout = (loss_t, scale is not None, pending is not None, full)
        return packed

    def _packed(self, size: int, n: int, i: int, g: int
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """A packed vector of ``size`` float64 and its views ``[:n]`` (the stacked figures), ``[i:i+g]`` (the
        gradients' norms) and ``[n]`` (their sum of squares): one of two vectors per layout used in turn and kept,
        so that a step allocates and slices nothing. Nothing holds a vector past the next step's: the blocking read
        copies what it keeps out of it, and the deferred mode reads step t before it packs step t + 2."""
        self._turn ^= 1
        key = (self._turn, size, n, i, g)
        views = self._ring.get(key)
        if views is None:
            if len(self._ring) >= 32:  # layouts rarely change; bound the cache
                self._ring.clear()
            buf = torch.empty(size, dtype=torch.float64, device=self.device)
            views = self._ring[key] = (buf, buf[:n], buf[i: i + g], buf[n])
        return views

    def _as_plan(self, present: tuple[int, ...] | Plan) -> Plan:
        if isinstance(present, Plan):
            return present
        grads = [self.inventory.params[k].grad for k in present]
        self._grads = grads  # type: ignore[assignment]
        return self._plan(present, grads)  # type: ignore[arg-type]

    def collect_layers(
        self, present: tuple[int, ...] | Plan, loss: torch.Tensor | float | None, scale: torch.Tensor | None
    ) -> torch.Tensor:
        """Compute the step's statistics on the device and pack them per layer into one float64 vector.

        Args:
            present: the step's :class:`Plan`, or the indices (into the inventory) of parameters whose ``.grad``
                is set this step.
            loss: the step's loss (detached here), a float, or None.
            scale: the GradScaler scale tensor, or None.

        Layout: ``[loss, scale, global_sumsq, update_step, grad_sumsq[L], weight_sumsq[L], grad_maxabs[L],
        update_sumsq[L]]``; ``global_sumsq`` is the sum of ``grad_sumsq``. For sharded tensors (DTensors) every
        figure is of this rank's shard; ``gradguard.distributed`` reduces the vector across ranks.
        """
        plan = self._as_plan(present)
        L = self.num_layers
        both_idx, grad_idx, factor = plan.both_idx, plan.grad_idx, plan.factor
        grads = dense_values(self._grads, plan.sparse)
        weights: list[torch.Tensor] = self.inventory.params  # read under no_grad below: no per-parameter detach()
        if self._sharded:
            grads, weights = [_local(g) for g in grads], [_local(w.detach()) for w in weights]
        with torch.no_grad():
            norms = self._norms(grads + weights, 2.0)
        squares = norms * norms if factor is None else norms * norms * factor
        sumsq = torch.zeros(2 * L, dtype=torch.float64, device=self.device).index_add_(0, both_idx, squares)
        gmax = torch.zeros(L, dtype=torch.float64, device=self.device)
        if plan.present:
            gmax.scatter_reduce_(0, grad_idx, self._maxabs(grads), reduce="amax")
        pending = self.updates.take()
        if pending is not None:
            self._packed_update_step, upd = pending  # known on the host: only a flag travels
            step_t = self._one
        else:
            step_t, upd = self._minus_one, self._nan_layers
        # a float loss travels in the vector too: under torch.distributed every input of a decision is reduced
        # across ranks, so a NaN or spike in one rank's float loss reaches every rank (one small host-to-device copy)
        self._host_loss = None
        self._layout = (True, True, pending is not None, True)
        self._full_issued = True
        self.gsq_index, self.gsq_view = 2, None
        head = torch.stack([self._scalar(loss), self._scalar(scale),
                            sumsq[:L].sum(), step_t])
        return torch.cat([head, sumsq, gmax, upd])

    def unpack(
        self, host: Sequence[float] | np.ndarray, step: int, lrs: tuple[float, ...], *,
        present: tuple[int, ...] | Plan, has_loss: bool, has_scaler: bool,
        layout: tuple[bool, bool, bool, bool] | None = None, host_loss: float | None = None, update_step: int = -1,
    ) -> tuple[StepStats, UpdateStats | None]:
        """Turn the host copy of :meth:`collect`'s vector into :class:`StepStats` (and a pending update).

        Few numpy calls on purpose: right after the passes over the gradients each one costs tens of
        microseconds (cold caches), so squares, roots and maxima are done once over concatenated blocks.
        ``layout``, ``host_loss`` and ``update_step``: what :meth:`packing` returned when the vector was made, for a
        vector read later (deferred); by default the latest :meth:`collect`'s.
        """
        a = np.asarray(host, dtype=np.float64)
        L = self.num_layers
        plan = self._as_plan(present) if not isinstance(present, Plan) else present
        if layout is None:
            layout, host_loss, update_step = self.packing()
        if self.host_reduce:
            loss, scale, grad_sumsq, norms, gmax, usq, upd_step = self._layers_on_host(a, plan, layout, update_step)
        else:
            loss, scale, grad_sumsq, upd_flag = a[:4]
            upd_step = update_step if upd_flag > 0 else -1
            with np.errstate(invalid="ignore"):
                norms = np.sqrt(a[4: 4 + 2 * L])
            gmax, usq = a[4 + 2 * L: 4 + 3 * L].copy(), a[4 + 3 * L: 4 + 4 * L]
        if host_loss is not None:
            loss = host_loss
        gnorm, wnorm = norms[:L], norms[L:]
        full = layout[3]
        if full:
            self.weights = self._totals_of = wnorm
            self._weights_finite = self._weight_norm = None
        elif self.weights is not None:
            if self._totals_of is not self.weights:  # set from outside (a resume): its totals are not known
                self._totals_of, self._weights_finite, self._weight_norm = self.weights, None, None
            wnorm = self.weights.copy()
        if plan.any_missing:
            gnorm[plan.missing] = np.nan
            gmax[plan.missing] = np.nan
        grad_norm = math.sqrt(grad_sumsq) if grad_sumsq >= 0 else math.nan  # NaN/Inf pass through
        # exact when every norm is finite; count_nonfinite() replaces the -1 markers otherwise
        known: int | None = None
        if math.isfinite(grad_norm):
            nonfinite, known = np.zeros(L, dtype=np.int64), 0
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
            full=full,
        )
        # the weight norms' finiteness, known for the sampled steps that repeat the latest full step's norms
        sampled = not full and self.weights is not None
        known_totals(stats, known, self._weights_finite if sampled else None,
                     self._weight_norm if sampled else None)
        if sampled and self._weights_finite is None:
            self._weights_finite = stats.weights_finite
        if sampled and self._weight_norm is None:
            self._weight_norm = stats.weight_norm
        update = self.updates.stats(upd_step, usq) if upd_step >= 0 else None
        return stats, update

    def packing(self) -> tuple[tuple[bool, bool, bool, bool], float | None, int]:
        """How the latest vector was packed (layout flags, a float loss kept on the host, the update's step)."""
        return self._layout, self._host_loss, self._packed_update_step if self._layout[2] else -1

    def _layers_on_host(self, a: np.ndarray, plan: Plan, layout: tuple[bool, bool, bool, bool], update_step: int
                        ) -> tuple[float, float, float, np.ndarray, np.ndarray, np.ndarray, int]:
        """Reduce :meth:`collect`'s per-tensor vector to the global gradient sum of squares, per-layer norms
        ``[grad L | weight L]`` and per-layer max-abs."""
        loss_t, has_scale, pending, full = layout
        L = self.num_layers
        i = int(loss_t) + int(has_scale)
        loss = a[0] if loss_t else math.nan
        scale = a[i - 1] if has_scale else math.nan
        n_norms = len(plan.present) + (len(self.inventory.params) if full else 0)
        n_ext = plan.n_ext if full else 0
        j = i + n_norms + n_ext  # the device's global sum of squares, then the update's per-layer ones
        if full or not math.isfinite(a[j]):
            with np.errstate(over="ignore", invalid="ignore"):  # NaN/Inf gradients pass through as NaN/Inf
                sq = np.bincount(plan.sq_idx[:n_norms], weights=np.square(a[i: i + n_norms]), minlength=2 * L)
                norms = np.sqrt(sq)
                if full:
                    gmax = np.zeros(L)
                    np.maximum.at(gmax, plan.ext_idx, np.abs(a[i + n_norms: i + n_norms + n_ext]))
                else:
                    gmax = self._nan_gmax(L)
        else:  # gradient norms only, their sum of squares finite: no square overflows
            norms = np.sqrt(np.bincount(plan.sq_idx[:n_norms], weights=np.square(a[i: i + n_norms]), minlength=2 * L))
            gmax = self._nan_gmax(L)  # not measured on a sampled step
        usq = a[j + 1: j + 1 + L] if pending else a[:0]
        return loss, scale, float(a[j]), norms, gmax, usq, update_step if pending else -1

    def _nan_gmax(self, n: int) -> np.ndarray:
        """A fresh array of ``n`` NaN (the max-abs of a sampled step), copied from a cached one."""
        nan = self._nan_cache
        if nan is None or len(nan) != n:
            nan = self._nan_cache = np.full(n, np.nan)
        return nan.copy()

    def count_nonfinite(self, stats: StepStats, present: tuple[int, ...] | Plan) -> StepStats:
        """Exact per-layer counts of NaN/Inf gradient elements (alarm path: a per-tensor pass and a host read)."""
        from .stats_alarm import count_nonfinite

        return count_nonfinite(self, stats, self._as_plan(present))

    def measure_in_full(self, stats: StepStats, plan: Plan, loss: torch.Tensor | float | None,
                        scale: torch.Tensor | None) -> StepStats:
        """A sampled step's weight norms and max-abs measured now (alarm path; see :mod:`gradguard.stats_alarm`)."""
        from .stats_alarm import measure_in_full

        return measure_in_full(self, stats, plan, loss, scale)

    # ----------------------------------------------------------------------------------------- updates
    def begin_update(self, stats: StepStats) -> None:
        """Copy the weights so that :meth:`end_update` can measure this step's update (see :class:`UpdateMeter`)."""
        self.updates.begin(stats)

    def end_update(self) -> None:
        """Measure ``||w_after - w_before||`` per layer on the device; it is read with the next step's stats."""
        self.updates.end(lambda tensors: self._norms(tensors, 2.0))

    def drain_update(self) -> UpdateStats | None:
        """Read a measured-but-unread update now (one host read; used when the run closes)."""
        return self.updates.drain()
