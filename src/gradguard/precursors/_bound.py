"""A guaranteed upper bound on the precursor's surprise between reads of Adam's state: no read on quiet steps.

Adam's second moment is an elementwise moving average of non-negative terms, ``v <- beta2 v + (1 - beta2) g^2``, and
a skipped step leaves it as it was, so whatever gradients (clipped, skipped or not) reached the optimizer since a
read ``k`` guard steps ago, each watched tensor's total can only have shrunk by ``beta2`` per step:

.. math:: \\textstyle\\sum v_{now} \\ge \\beta_2^{k} \\sum v_{read},\\qquad
          \\hat v_{now} = \\frac{\\sum v_{now}}{1-\\beta_2^{t_{now}}} \\ge
          \\frac{\\beta_2^{k} \\sum v_{read}}{1-\\beta_2^{t_{read}+k}}

(Adam's step count grew by at most ``k``, and ``1 - beta2^t`` grows with ``t``). With the gradient's energy per layer
known on the host (the guard's own per-layer norms, already read), that is an upper bound on every layer's surprise
``sqrt(sum g^2 / sum v-hat)`` that costs a few numpy operations on the tensors' count: while it stays under the
threshold in every layer the precursor judges, no event is possible and nothing is read. :class:`SurpriseBound`
keeps the totals of the last read; the precursor reads the state when the bound says a layer could cross, and then
judges the read, so the events are those of a read every step.

What the bound cannot see makes it ask for a read: a tensor unknown at the read (no gradient then, or no state yet:
its total is taken as 0), a changed ``beta2``, a guard step counter that went back, the optimizer's state replaced
(a rollback or a resume also forget the copy through the detector's ``load_state_dict``) or a step count that grew
by more than the guard's steps (the optimizer stepped behind the guard's back; checked where the count lives on the
CPU, torch's default).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .adam_state import AdamStateMonitor, AdamStateStats

__all__ = ["SurpriseBound"]

#: Relative margin on the bound for float32 rounding of the state's totals (the read's sums are float32 norms).
TOLERANCE = 1e-3


class SurpriseBound:
    """Per watched tensor, Adam's second-moment total and step count at the last read, and the bound they give.

    Args:
        monitor: the :class:`~gradguard.precursors.AdamStateMonitor` whose tensors (and optimizer) it follows.
    """

    def __init__(self, monitor: AdamStateMonitor) -> None:
        self.monitor = monitor
        self._layer_of = monitor._layer_of.numpy()
        self._group_of = np.asarray(monitor._group_of, dtype=np.int64)
        n = len(monitor._params)
        self._raw = np.zeros(n)  # sum of exp_avg_sq per tensor at the read (not bias-corrected; 0 = unknown)
        self._t = np.zeros(n)  # Adam's step count per tensor at the read
        self._b2 = np.full(n, np.nan)  # beta2 per tensor at the read
        self.read_step = 0  #: the guard step of the last read
        self._sentinels: list[tuple[torch.Tensor, Any, Any, float | None]] = []
        self.synced = False

    def invalidate(self) -> None:
        """Forget the copy (the optimizer's state was replaced)."""
        self.synced = False

    def _beta2(self) -> np.ndarray:
        groups = self.monitor.optimizer.param_groups
        return np.array([float(g["betas"][1]) for g in groups])[self._group_of]

    def sync(self, measured: AdamStateStats, step: int) -> None:
        """Keep the totals of a read made at guard step ``step`` (before that step's ``optimizer.step()``)."""
        if len(measured.tensor_expected_sq) != len(self._raw):
            self.synced = False
            return
        b2 = self._beta2()
        t = np.nan_to_num(measured.tensor_step, nan=0.0)
        with np.errstate(invalid="ignore", over="ignore"):
            raw = measured.tensor_expected_sq * (1.0 - b2 ** t)
        self._raw = np.where(np.isfinite(raw) & (raw > 0), raw, 0.0)
        self._t, self._b2, self.read_step = t, b2, step
        self._sentinels = self._pick_sentinels()
        self._groups_b2 = self._group_betas()
        self._per_layer()
        self.synced = True

    def _group_betas(self) -> tuple[float, ...]:
        return tuple(float(g["betas"][1]) for g in self.monitor.optimizer.param_groups)

    def _per_layer(self) -> None:
        """The per-layer form of the bound, for steps whose tensors with a gradient are those of the read and where
        every layer's tensors share one step count and one beta2 (the usual case): sum over a layer of
        raw * f / (1 - beta2^t f) is then (sum raw) * f / (1 - beta2^t f), a few operations on ``num_layers``
        numbers."""
        params = self.monitor._params
        L = self.monitor.num_layers
        self._present = tuple(p.grad is not None for p in params)
        pres = np.fromiter(self._present, dtype=bool, count=len(params))
        layers = self._layer_of[pres]
        t_l, b2_l = np.zeros(L), np.ones(L)
        t_l[layers], b2_l[layers] = self._t[pres], self._b2[pres]
        self._uniform = bool(np.array_equal(t_l[layers], self._t[pres])
                             and np.array_equal(b2_l[layers], self._b2[pres]))
        self._raw_l = np.bincount(layers, weights=self._raw[pres], minlength=L)
        self._has_l = np.bincount(layers, minlength=L) > 0
        self._decay_l = b2_l ** t_l  # beta2^t at the read, per layer
        one = set(self._groups_b2)
        self._b2_l: float | np.ndarray = one.pop() if len(one) == 1 else b2_l

    def _pick_sentinels(self) -> list[tuple[torch.Tensor, Any, Any, float | None]]:
        """One tensor per param group whose state object (and, on the CPU, step count) is checked each step."""
        out = []
        seen: set[int] = set()
        state = self.monitor.optimizer.state
        for k, p in enumerate(self.monitor._params):
            g = int(self._group_of[k])
            s = state.get(p)
            if g in seen or not s or "exp_avg_sq" not in s:
                continue
            seen.add(g)
            t = s.get("step")
            cpu_t = float(t) if isinstance(t, torch.Tensor) and t.device.type == "cpu" else (
                float(t) if isinstance(t, (int, float)) else None)
            out.append((p, s, s["exp_avg_sq"], cpu_t))
        return out

    def _state_kept(self, k: int) -> bool:
        """Whether the sentinels' state is the one read, advanced by at most ``k`` steps."""
        state = self.monitor.optimizer.state
        for p, s, v, t0 in self._sentinels:
            now = state.get(p)
            if now is not s or now.get("exp_avg_sq") is not v:
                return False
            if t0 is not None:
                t = now.get("step")
                t = float(t) if isinstance(t, (int, float)) or (isinstance(t, torch.Tensor)
                                                               and t.device.type == "cpu") else t0
                if not 0.0 <= t - t0 <= k:
                    return False
        return True

    def needs_read(self, step: int, grad_sq: np.ndarray | None, threshold: float, min_share: float) -> bool:
        """Whether a layer the precursor judges (at least ``min_share`` of the energy, as
        :func:`~gradguard.precursors.detectors.judged_surprise`) could have a surprise above ``threshold`` at guard
        step ``step``, given the layers' squared gradient norms ``grad_sq`` (NaN: no gradient); True when unknown."""
        k = step - self.read_step
        if not self.synced or grad_sq is None or len(grad_sq) != self.monitor.num_layers or k < 0:
            return True
        if self._group_betas() != self._groups_b2 or not self._state_kept(k):
            return True
        present = tuple(p.grad is not None for p in self.monitor._params)
        if present == self._present and self._uniform:
            f = self._b2_l ** k  # the most the second moment can have decayed since the read
            lower = self._raw_l * f / np.maximum(1.0 - self._decay_l * f, 1e-300)
            g_sq = np.where(self._has_l, grad_sq, np.nan)  # as the read: NaN for a layer without tensors
        else:
            lower, g_sq = self._per_tensor(k, np.fromiter(present, dtype=bool, count=len(present)), grad_sq)
        total = float(np.nansum(g_sq))
        if not math.isfinite(total):
            return True  # an overflowing energy: judged by a read
        judged = (g_sq >= min_share * total) & (g_sq > 0.0)  # NaN compares False: a layer without gradient
        if not judged.any():
            return False
        low = lower[judged]
        if not (low > 0.0).all() or not np.isfinite(low).all():
            return True  # nothing known to bound the expectation with
        return bool((g_sq[judged] * (1.0 + TOLERANCE) ** 2 > threshold * threshold * low).any())

    def _per_tensor(self, k: int, present: np.ndarray, grad_sq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bound summed tensor by tensor over those with a gradient now, and the layers' energy as the read
        takes it (NaN for a layer without tensors)."""
        L = self.monitor.num_layers
        layers = self._layer_of[present]
        b2 = self._b2
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            lower = self._raw * b2 ** k / (1.0 - b2 ** (self._t + k))
        lower = np.where(np.isfinite(lower), lower, 0.0)
        v_low = np.bincount(layers, weights=lower[present], minlength=L)
        g_sq = np.where(np.bincount(layers, minlength=L) > 0, grad_sq, np.nan)
        return v_low, g_sq
