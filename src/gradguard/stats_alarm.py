"""The collector's alarm path: what a step with NaN/Inf gradients or loss is measured with beyond the usual pass.

Both run only on such steps, in the blocking read (the gradients are still there), and cost one more host read:

- :func:`count_nonfinite`: exact per-layer counts of NaN/Inf gradient elements (a norm is finite only if every
  element is, so the counts are known to be zero everywhere else);
- :func:`measure_in_full`: on a sampled step (``StepStats.full`` False: the weight norms were reused and the
  max-abs not measured, see ``Guard(sample_every=...)``), the weight norms and max-abs measured now, so that the
  detectors judge a non-finite step from the current weights (NaN weights are named as such at once).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from ._tensors import _local
from .stats_plan import Plan
from .stats_types import StepStats

__all__ = ["count_nonfinite", "measure_in_full"]


def count_nonfinite(collector: Any, stats: StepStats, plan: Plan) -> StepStats:
    """``stats`` with exact per-layer counts of NaN/Inf gradient elements (a per-tensor pass and a host read)."""
    params = collector.inventory.params
    grads = [_local(params[k].grad) for k in plan.present]
    counts = torch.zeros(collector.num_layers, dtype=torch.long, device=collector.device)
    if grads:
        per_tensor = torch.stack([(~torch.isfinite(g)).sum() for g in grads])
        counts.index_add_(0, plan.grad_idx, per_tensor.to(collector.device))
    if collector.reduce_counts is not None:  # every rank is on this path together: the decision to count is reduced
        counts = collector.reduce_counts(counts)
    elif not grads:
        return stats
    host = np.asarray(counts.tolist(), dtype=np.int64)
    return dataclasses.replace(stats, layer_grad_nonfinite=host)


def measure_in_full(collector: Any, stats: StepStats, plan: Plan, loss: torch.Tensor | float | None,
                    scale: torch.Tensor | None) -> StepStats:
    """``stats`` of a sampled step with its weight norms and max-abs measured now (the full pass again and a host
    read; the step's other figures, the pending update and the packing of the step are left as they were)."""
    if stats.full:
        return stats
    packing = collector._layout, collector._host_loss, collector._packed_update_step
    packed = collector.collect(plan, loss, scale, full=True)
    now, _ = collector.unpack(packed.tolist(), stats.step, stats.lrs, present=plan, has_loss=stats.loss is not None,
                              has_scaler=stats.scale is not None)
    collector._layout, collector._host_loss, collector._packed_update_step = packing
    return dataclasses.replace(stats, layer_grad_maxabs=now.layer_grad_maxabs,
                               layer_weight_norm=now.layer_weight_norm, full=True)
