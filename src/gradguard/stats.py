"""Per-step statistics: computed on the device in fused passes, read to the host once per step.

Every per-tensor figure comes from one ``torch._foreach_norm`` pass over the gradients (L2), one over the
gradients with ``ord=inf`` (max-abs) and one over the weights (L2). Per-layer figures are reductions of those
small per-tensor vectors (``index_add_`` of squares, ``scatter_reduce_`` of maxima). No gradient is copied and
memory is O(number of tensors). All of it is packed into one float64 vector so that the host reads it with a
single transfer, the one host sync a step costs.

Each statistic declares how it reduces across ranks in :data:`REDUCTIONS`: norms travel as sums of squares
(they add), max-abs as maxima, counts add. A norm is the root of the reduced sum of squares, never an average of
per-rank norms.

The count of non-finite gradient elements is exact and free in the common case: an L2 norm is finite only if
every element is finite, so it is zero wherever the norm is finite. Only when a norm is not finite does
:meth:`StatsCollector.count_nonfinite` count elements (a per-tensor pass and a second host read, on the alarm
path only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .inventory import ParamInventory

__all__ = ["REDUCTIONS", "StepStats", "UpdateStats", "StatsCollector"]

#: How each statistic combines across ranks (data-parallel replicas or shards of one tensor).
REDUCTIONS: Mapping[str, str] = {
    "grad_sumsq": "sum",  # per layer and global: sum of squares; the norm is its square root after reduction
    "grad_maxabs": "max",
    "grad_nonfinite": "sum",  # count of non-finite elements
    "weight_sumsq": "sum",
    "update_sumsq": "sum",
    "grad_tensors": "sum",  # number of tensors of the layer that had a gradient (for FSDP shards: take max)
    "loss": "mean",  # each replica's loss on its own part of the batch
}


@dataclass(frozen=True)
class StepStats:
    """What one optimizer step looked like, on the host (numpy), before any clipping.

    Norms are L2 norms of the unscaled gradients (after ``GradScaler.unscale_``), in the gradient's own units.

    Attributes:
        step: optimizer-step index, 0-based, counting skipped steps too.
        loss: the loss passed to ``Guard.step``, or None when none was given.
        grad_norm: global L2 norm over every watched gradient.
        scale: the GradScaler scale used for this step's backward, or None without a scaler.
        lrs: learning rate of each optimizer param group.
        layer_grad_norm: per layer L2 norm; NaN for a layer that had no gradient this step.
        layer_grad_maxabs: per layer max |g|; NaN for a layer that had no gradient this step.
        layer_grad_nonfinite: per layer count of NaN/Inf gradient elements.
        layer_weight_norm: per layer L2 norm of the weights the gradient was taken at.
        layer_has_grad: per layer, whether any of its parameters had a gradient this step.
    """

    step: int
    loss: float | None
    grad_norm: float
    scale: float | None
    lrs: tuple[float, ...]
    layer_grad_norm: np.ndarray
    layer_grad_maxabs: np.ndarray
    layer_grad_nonfinite: np.ndarray
    layer_weight_norm: np.ndarray
    layer_has_grad: np.ndarray

    @property
    def nonfinite_grads(self) -> int:
        """Total count of NaN/Inf gradient elements this step."""
        return int(self.layer_grad_nonfinite.sum())

    @property
    def loss_finite(self) -> bool:
        """False only when a loss was given and it is NaN or Inf."""
        return self.loss is None or bool(np.isfinite(self.loss))

    @property
    def grads_finite(self) -> bool:
        """True when every gradient element is finite (equivalently here: the global norm is finite)."""
        return bool(np.isfinite(self.grad_norm)) and self.nonfinite_grads == 0


@dataclass(frozen=True)
class UpdateStats:
    """The size of the update one applied step made, measured every ``update_every`` steps.

    Attributes:
        step: the step whose update this is.
        layer_update_norm: per layer L2 norm of (weights after - weights before).
        layer_update_ratio: ``layer_update_norm / layer_weight_norm`` before the step (dimensionless; around
            1e-3 is the usual rule of thumb for a healthy learning rate).
    """

    step: int
    layer_update_norm: np.ndarray
    layer_update_ratio: np.ndarray


class StatsCollector:
    """Computes :class:`StepStats` for an inventory in fused device passes.

    The collector keeps only small per-step tensors and cached index vectors; it allocates nothing whose size
    depends on the number of parameters' elements, except the optional weight copy for update statistics.
    """

    def __init__(self, inventory: ParamInventory) -> None:
        self.inventory = inventory
        self.num_layers = inventory.num_layers
        self.device = inventory.params[0].device
        self._index_cache: dict[tuple[int, ...], torch.Tensor] = {}
        self._all_index = self._layer_index(tuple(range(len(inventory.params))))
        self._prev_weights: list[torch.Tensor] | None = None
        self._prev_weight_sumsq: torch.Tensor | None = None
        self._pending_update: tuple[int, torch.Tensor] | None = None
        self._update_step = -1
        self._update_weight_norm: np.ndarray | None = None

    # ----------------------------------------------------------------------------------------- helpers
    def _layer_index(self, present: tuple[int, ...]) -> torch.Tensor:
        idx = self._index_cache.get(present)
        if idx is None:
            layer_of = self.inventory.layer_of
            idx = torch.tensor([layer_of[k] for k in present], dtype=torch.long, device=self.device)
            if len(self._index_cache) < 64:  # the set of present gradients rarely changes; bound the cache
                self._index_cache[present] = idx
        return idx

    def _stack64(self, values: Sequence[torch.Tensor]) -> torch.Tensor:
        if not values:
            return torch.zeros(0, dtype=torch.float64, device=self.device)
        if any(v.device != self.device for v in values):
            values = [v.to(self.device, non_blocking=True) for v in values]
        return torch.stack(values).to(torch.float64)

    def _norms(self, tensors: list[torch.Tensor], ord: float) -> torch.Tensor:
        """Per-tensor norms as one float64 vector (fp16/bf16 tensors are normed in float32 to avoid overflow)."""
        if not tensors:
            return torch.zeros(0, dtype=torch.float64, device=self.device)
        low = tensors[0].dtype in (torch.float16, torch.bfloat16)
        norms = torch._foreach_norm(tensors, ord, dtype=torch.float32) if low else torch._foreach_norm(tensors, ord)
        return self._stack64(norms)

    def _per_layer_sumsq(self, norms: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(self.num_layers, dtype=torch.float64, device=self.device)
        return out.index_add_(0, index, norms * norms)

    # ----------------------------------------------------------------------------------------- the pass
    def collect(
        self, present: tuple[int, ...], loss: torch.Tensor | float | None, scale: torch.Tensor | None
    ) -> torch.Tensor:
        """Compute the step's statistics on the device and pack them into one float64 vector.

        Args:
            present: indices (into the inventory) of parameters whose ``.grad`` is set this step.
            loss: the step's loss (detached here), a float, or None.
            scale: the GradScaler scale tensor, or None.

        Layout: ``[loss, scale, global_sumsq, update_step, grad_sumsq[L], grad_maxabs[L], weight_sumsq[L],
        grad_tensors[L], update_sumsq[L]]``.
        """
        inv = self.inventory
        L = self.num_layers
        grads = [inv.params[k].grad for k in present]
        index = self._layer_index(present)
        gsq = self._per_layer_sumsq(self._norms(grads, 2.0), index)  # type: ignore[arg-type]
        gmax_t = self._norms(grads, float("inf"))  # type: ignore[arg-type]
        gmax = torch.zeros(L, dtype=torch.float64, device=self.device)
        gmax.scatter_reduce_(0, index, gmax_t, reduce="amax", include_self=True)
        wsq = self._per_layer_sumsq(self._norms([p.detach() for p in inv.params], 2.0), self._all_index)
        counts = torch.zeros(L, dtype=torch.float64, device=self.device)
        counts.index_add_(0, index, torch.ones(len(present), dtype=torch.float64, device=self.device))

        head = torch.empty(4, dtype=torch.float64, device=self.device)
        head[0] = float("nan") if loss is None else (loss.detach().reshape(()) if isinstance(loss, torch.Tensor)
                                                     else float(loss))
        head[1] = float("nan") if scale is None else scale.detach().reshape(()).to(self.device)
        head[2] = gsq.sum()
        if self._pending_update is not None:
            upd_step, upd = self._pending_update
            head[3] = upd_step
            self._pending_update = None
        else:
            head[3] = -1.0
            upd = torch.full((L,), float("nan"), dtype=torch.float64, device=self.device)
        return torch.cat([head, gsq, gmax, wsq, counts, upd])

    def unpack(
        self, host: Sequence[float], step: int, lrs: tuple[float, ...], *, has_loss: bool, has_scaler: bool
    ) -> tuple[StepStats, UpdateStats | None]:
        """Turn the host copy of :meth:`collect`'s vector into :class:`StepStats` (and a pending update)."""
        a = np.asarray(host, dtype=np.float64)
        L = self.num_layers
        loss, scale, global_sumsq, upd_step = a[:4]
        gsq, gmax, wsq, counts, usq = (a[4 + i * L: 4 + (i + 1) * L] for i in range(5))
        missing = counts == 0
        gnorm = np.sqrt(gsq)
        gnorm[missing] = np.nan
        gmax = gmax.copy()
        gmax[missing] = np.nan
        wnorm = np.sqrt(wsq)
        # exact when every norm is finite; count_nonfinite() replaces it otherwise
        nonfinite = np.where(np.isfinite(gnorm) | missing, 0, -1).astype(np.int64)
        stats = StepStats(
            step=step,
            loss=float(loss) if has_loss else None,
            grad_norm=float(np.sqrt(global_sumsq)),
            scale=float(scale) if has_scaler else None,
            lrs=lrs,
            layer_grad_norm=gnorm,
            layer_grad_maxabs=gmax,
            layer_grad_nonfinite=nonfinite,
            layer_weight_norm=wnorm,
            layer_has_grad=~missing,
        )
        update = None
        if upd_step >= 0 and self._update_weight_norm is not None:
            unorm = np.sqrt(usq)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = unorm / self._update_weight_norm
            update = UpdateStats(step=int(upd_step), layer_update_norm=unorm, layer_update_ratio=ratio)
            self._update_weight_norm = None
        return stats, update

    def count_nonfinite(self, stats: StepStats, present: tuple[int, ...]) -> StepStats:
        """Exact per-layer counts of NaN/Inf gradient elements (alarm path: a per-tensor pass and a host read)."""
        grads = [self.inventory.params[k].grad for k in present]
        if not grads:
            return stats
        per_tensor = torch.stack([(~torch.isfinite(g)).sum() for g in grads])  # type: ignore[arg-type]
        counts = torch.zeros(self.num_layers, dtype=torch.long, device=self.device)
        counts.index_add_(0, self._layer_index(present), per_tensor.to(self.device))
        host = np.asarray(counts.tolist(), dtype=np.int64)
        return StepStats(**{**stats.__dict__, "layer_grad_nonfinite": host})

    # ----------------------------------------------------------------------------------------- updates
    def begin_update(self, stats: StepStats) -> None:
        """Copy the weights (one fused copy) so that :meth:`end_update` can measure this step's update.

        Costs one transient copy of the watched weights (their size in memory) and two passes over them.
        """
        self._prev_weights = torch._foreach_mul([p.detach() for p in self.inventory.params], 1.0)
        self._update_step = stats.step
        self._update_weight_norm = stats.layer_weight_norm

    def end_update(self) -> None:
        """Measure ``||w_after - w_before||`` per layer on the device; it is read with the next step's stats."""
        if self._prev_weights is None:
            return
        diff = self._prev_weights
        torch._foreach_sub_(diff, [p.detach() for p in self.inventory.params])
        usq = self._per_layer_sumsq(self._norms(diff, 2.0), self._all_index)
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
