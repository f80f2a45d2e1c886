"""What a step's statistics look like on the host, and how each reduces across ranks.

:class:`StepStats` is the record every detector, policy and sink reads; :class:`UpdateStats` the size of an applied
update. :data:`REDUCTIONS` and :data:`REPLICA_REDUCTIONS` declare how each statistic combines across ranks (see
:mod:`gradguard.stats` and :mod:`gradguard.distributed`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["REDUCTIONS", "REPLICA_REDUCTIONS", "StepStats", "UpdateStats"]

#: How each statistic combines across ranks that hold different pieces of the tensors (FSDP2 shards).
REDUCTIONS: Mapping[str, str] = {
    "grad_sumsq": "sum",  # per layer and global: sum of squares; the norm is its square root after reduction
    "grad_maxabs": "max",
    "grad_nonfinite": "sum",  # count of non-finite elements
    "weight_sumsq": "sum",
    "update_sumsq": "sum",
    "grad_tensors": "sum",  # number of tensors of the layer that had a gradient (for FSDP shards: take max)
    "loss": "mean",  # each replica's loss on its own part of the batch
}

#: How each statistic combines across ranks that hold copies of the same tensors (DDP replicas, whose gradients
#: are already averaged): the values should agree, and the max keeps a NaN or a deviating rank visible everywhere.
REPLICA_REDUCTIONS: Mapping[str, str] = {
    "grad_sumsq": "max",
    "grad_maxabs": "max",
    "grad_nonfinite": "max",
    "weight_sumsq": "max",
    "update_sumsq": "max",
    "loss": "mean",
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
        layer_grad_maxabs: per layer max |g|; NaN for a layer that had no gradient this step, and on a sampled
            step (``full`` False).
        layer_grad_nonfinite: per layer count of NaN/Inf gradient elements.
        layer_weight_norm: per layer L2 norm of the weights the gradient was taken at; on a sampled step
            (``full`` False) those of the latest full step (``Guard(sample_every=...)``, default every 10 steps).
        layer_has_grad: per layer, whether any of its parameters had a gradient this step.
        full: whether the weight norms and max-abs were measured at this step (default True).
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
    full: bool = True

    # the totals every detector asks for are computed once, on first use (numpy calls on tiny arrays cost
    # microseconds each), or handed over by the collector that knows them (:func:`known_totals`)
    @property
    def nonfinite_grads(self) -> int:
        """Total count of NaN/Inf gradient elements this step."""
        total = self.__dict__.get("_nonfinite_total")
        if total is None:
            counts = self.layer_grad_nonfinite
            total = int(counts.sum() if isinstance(counts, np.ndarray) else np.sum(counts))
            object.__setattr__(self, "_nonfinite_total", total)
        return total  # type: ignore[no-any-return]

    @property
    def loss_finite(self) -> bool:
        """False only when a loss was given and it is NaN or Inf."""
        return self.loss is None or math.isfinite(self.loss)

    @property
    def grads_finite(self) -> bool:
        """True when every gradient element is finite (equivalently here: the global norm is finite)."""
        return math.isfinite(self.grad_norm) and self.nonfinite_grads == 0

    @property
    def weights_finite(self) -> bool:
        """True when every watched weight is finite (their norms are)."""
        finite = self.__dict__.get("_weights_finite")
        if finite is None:
            norms = self.layer_weight_norm
            finite = math.isfinite(norms.sum() if isinstance(norms, np.ndarray) else np.sum(norms))
            object.__setattr__(self, "_weights_finite", finite)
        return finite  # type: ignore[no-any-return]

    @property
    def weight_norm(self) -> float:
        """Global L2 norm of the watched weights (over ``layer_weight_norm``; NaN/Inf pass through)."""
        norm = self.__dict__.get("_weight_norm")
        if norm is None:
            w = self.layer_weight_norm
            norm = math.sqrt(float(np.dot(w, w)))
            object.__setattr__(self, "_weight_norm", norm)
        return norm  # type: ignore[no-any-return]


def known_totals(stats: StepStats, nonfinite: int | None, weights_finite: bool | None,
                 weight_norm: float | None = None) -> StepStats:
    """Hand ``stats`` totals its maker already knows (None: computed on first use), so none is recomputed."""
    if nonfinite is not None:
        object.__setattr__(stats, "_nonfinite_total", nonfinite)
    if weights_finite is not None:
        object.__setattr__(stats, "_weights_finite", weights_finite)
    if weight_norm is not None:
        object.__setattr__(stats, "_weight_norm", weight_norm)
    return stats


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
