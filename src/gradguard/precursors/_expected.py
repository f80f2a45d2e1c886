"""A host copy of what Adam's second moment expects of each layer, kept from the guard's own per-layer norms.

Adam's second moment is an elementwise moving average, ``v <- beta2 v + (1 - beta2) g^2``, so its sum over a layer
follows the same recurrence on the layer's squared gradient norm:

.. math:: \\textstyle\\sum v_t = \\beta_2 \\sum v_{t-1} + (1-\\beta_2)\\, \\lVert g_t \\rVert^2 .

The guard reads every layer's gradient norm each step anyway (one host read), and the actuator knows by how much
the step's gradients were clipped; so the surprise ``sqrt(||g||^2 / sum v-hat)`` of
:class:`~gradguard.precursors.AdamStatePrecursor` can be followed on the host with a few numpy operations on
``num_layers`` numbers — no read of the optimizer's state. :class:`ExpectedEnergy` keeps that copy; it is set from
a real read of the state (:meth:`sync`, after which it is exact up to float rounding) and is only a *screen*: the
update cap reads the state itself before it opens a window. A copy that may have drifted (a rollback, a resumed
checkpoint, a clip by value, a step the guard did not see, ``resync_every`` steps since the last read) asks for a
read (:attr:`stale`).
"""

from __future__ import annotations

import numpy as np

from .adam_state import AdamStateMonitor, AdamStateStats

__all__ = ["ExpectedEnergy"]


class ExpectedEnergy:
    """Per layer, the sum of Adam's second moment and Adam's step count, followed on the host.

    Args:
        monitor: the :class:`~gradguard.precursors.AdamStateMonitor` whose layers (and optimizer) it follows.
        resync_every: steps after which the copy asks for a read of the state again (default 100).
    """

    def __init__(self, monitor: AdamStateMonitor, resync_every: int = 100) -> None:
        self.monitor = monitor
        self.resync_every = resync_every
        L = monitor.num_layers
        group = np.full(L, -1)
        mixed = False
        for layer, g in zip(monitor._layer_of_list, monitor._group_of, strict=True):
            if group[layer] < 0:
                group[layer] = g
            elif group[layer] != g:
                mixed = True  # a layer split over param groups: followed only if their beta2 agree
        self._group = np.maximum(group, 0)  # a layer without tensors (none in practice) reads group 0
        self._mixed = mixed
        self.v = np.full(L, np.nan)  # sum of exp_avg_sq per layer (not bias-corrected)
        self.t = np.full(L, np.nan)  # Adam's step count per layer
        self.synced = False
        self._age = 0
        self.syncs = 0  # reads of the state this copy was set from (this process)

    def _beta2(self) -> np.ndarray | None:
        """beta2 per layer from the optimizer's groups as they are now (None: a layer's groups disagree)."""
        by_group = np.array([float(g["betas"][1]) for g in self.monitor.optimizer.param_groups])
        b2 = by_group[self._group]
        if self._mixed and (by_group[self.monitor._group_of] != b2[self.monitor._layer_of_list]).any():
            return None
        return b2

    @property
    def stale(self) -> bool:
        """Whether the copy must be set from a read of the state before it is trusted."""
        return not self.synced or self._age >= self.resync_every

    def invalidate(self) -> None:
        """Forget the copy (a rollback or a resumed checkpoint replaced the optimizer's state)."""
        self.synced = False

    def sync(self, measured: AdamStateStats) -> None:
        """Set the copy from a read of the state made before this step's ``optimizer.step()``; a layer without a
        gradient in that read stays unknown (a later surprise on it asks for a read)."""
        b2 = self._beta2()
        step = measured.layer_step
        if b2 is None or len(step) != len(self.v):
            self.synced = False
            return
        with np.errstate(invalid="ignore", over="ignore"):
            v = measured.layer_expected_sq * (1.0 - b2 ** step)
        v = np.where(step == 0, 0.0, v)  # no state yet: Adam starts from v = 0
        self.v = np.where(np.isfinite(v), v, np.nan)
        self.t = np.where(np.isfinite(self.v), step, np.nan)
        self.synced = True
        self._age = 0
        self.syncs += 1

    def surprise(self, grad_sq: np.ndarray, b2: np.ndarray | None = None) -> np.ndarray | None:
        """``sqrt(grad_sq / sum v-hat)`` per layer against the copy (0 on a layer's first Adam step, as the
        monitor's NaN), or None when a layer with a gradient has no known expectation."""
        b2 = self._beta2() if b2 is None else b2
        if b2 is None or len(grad_sq) != len(self.v):
            return None
        has_grad = np.isfinite(grad_sq)
        if (has_grad & np.isnan(self.v)).any():
            return None
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out = np.sqrt(grad_sq * (1.0 - b2 ** self.t) / self.v)
        out[~has_grad | ~(self.t > 0) | ~np.isfinite(out)] = 0.0  # an expectation of exactly 0: not judged
        return out

    def judged_max(self, grad_sq: np.ndarray, min_share: float) -> float | None:
        """The largest :meth:`surprise` among the layers with at least ``min_share`` of the gradient energy (as
        :func:`~gradguard.precursors.detectors.judged_surprise` judges the read), or None when unknown."""
        b2 = self._beta2()
        out = None if b2 is None else self.surprise(grad_sq, b2)
        if out is None:
            return None
        energy = np.where(np.isfinite(grad_sq), grad_sq, 0.0)
        judged = out[energy >= min_share * float(energy.sum())]
        return float(judged.max()) if judged.size else 0.0

    def advance(self, grad_sq: np.ndarray) -> None:
        """Fold the squared gradient norms Adam is about to receive into the copy (every applied step; a layer
        without a gradient, NaN, is left as Adam leaves it). A non-finite value forgets the copy."""
        b2 = self._beta2()
        if b2 is None or len(grad_sq) != len(self.v) or np.isinf(grad_sq).any():  # NaN: no gradient
            self.synced = False
            return
        has_grad = np.isfinite(grad_sq)
        self.v = np.where(has_grad, b2 * self.v + (1.0 - b2) * np.where(has_grad, grad_sq, 0.0), self.v)
        self.t = np.where(has_grad, self.t + 1.0, self.t)
        self._age += 1
