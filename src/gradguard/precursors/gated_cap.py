"""The StableAdamW-style per-layer update cap as a policy member that the guard's actuator applies.

:class:`UpdateCap` decides, the guard's :class:`~gradguard.mitigation.actuator.Actuator` acts (as for every other
mitigation): after the step's gradients are clipped, the actuator asks the member for each layer's step scale
``1/max(1, RMS)``, RMS the root mean square of :math:`g^2/\\hat u` measured on the gradient the optimizer is about
to receive (see :mod:`gradguard.precursors.adam_state`); after ``optimizer.step()`` it moves each capped layer back
from its new weights toward the old ones, ``w <- w_old + s (w_new - w_old)``. So:

- **with a clip**: the RMS is measured on the clipped gradient (the one Adam folds into its moments), and the cap
  scales the step that clipped gradient produced;
- **with a skip**: nothing is stepped, so nothing is capped (the gate still counts the step);
- **with any optimizer implementation** (for-loop, ``foreach``, ``fused``): the cap acts on the weights after the
  whole step, so it never enters the optimizer's kernels; the optimizer's moments keep the full gradient, as in
  StableAdamW, which lowers the step size only. The whole step of the layer is scaled, AdamW's decoupled decay
  included (StableAdamW's :math:`\\eta_t` scales both). Memory: a copy of the capped layers' weights, for one step.

Two gates (``gate``):

- ``"evidence"`` (default): capping is switched on for ``window`` steps (default 1: the step the evidence is about)
  when a layer's gradient, as the optimizer will receive it (after the guard's clip), is far beyond what Adam's
  second moment expects — the surprise of :class:`~gradguard.precursors.AdamStatePrecursor` over ``threshold`` in
  a layer carrying at least ``min_share`` of the gradient energy — or when an event of a kind in ``open_on``
  arrives (``precursor`` from a detector). Outside the window nothing is capped.
  With ``screen=True`` (default) the optimizer's state is read only when it can matter: the surprise is first
  followed on the host (:class:`~gradguard.precursors._expected.ExpectedEnergy`: Adam's second moment summed per
  layer is a moving average of the layer's squared gradient norm, which the guard has already read, times the
  clip the actuator applied), and the state itself is read (one foreach norm of the gradients and one of the
  second moment, one host read) only on a step where that host surprise exceeds ``SCREEN`` x ``threshold``, and
  once every 100 steps to re-set the copy (and after a rollback, a resume or a clip by value). The window opens on
  the read's verdict, so the screen changes the cost, not the windows. ``screen=False`` reads every step.
  Measured: the cap's own time per step 0.04% (TinyGPT) and 1.0% (deep MLP) of a ``recover`` step with the screen,
  3.5% and 11.8% reading every step (``benchmarks/update_cap_cost.py``, loaded 2-core machine); on the Adam runs of
  ``benchmarks/spikes.py`` (seeds 70-89) 268 reads in 60 runs of 400 steps, against 7,788 in the 20
  relu_adam_high_lr runs alone without it, with the same window (one) and the same losses; 2 reads per 200-step
  healthy corpus run, no window on any healthy model of any half.
- ``"always"``: StableAdamW itself: every step, every layer whose RMS exceeds ``max_rms``. Measured on the judgment
  corpus it capped 93-200 of 200 healthy steps and slowed 8 of 21 healthy development models by more than 2%
  (worst 1.39x): opt-in.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..decision import Decision
from ..errors import ConfigError
from ..events import Event
from ..stats_types import StepStats
from ._expected import ExpectedEnergy
from .adam_state import AdamStateMonitor, AdamStateStats, supports_adam_state
from .detectors import judged_surprise

__all__ = ["GATES", "SCREEN", "UpdateCap", "update_cap"]

#: The accepted values of ``UpdateCap(gate=...)``.
GATES = ("evidence", "always")

#: Relative float32 rounding allowed above ``max_rms`` before a layer counts as capped: on a layer's first Adam step
#: u-hat = g^2, so its RMS is 1 exactly in arithmetic but can read 1 + 1e-7 (a step "capped" by 0.9999999).
RMS_TOLERANCE = 1e-6

#: The screen reads Adam's state when the host-followed surprise exceeds this fraction of ``threshold``. The host
#: copy is exact up to float rounding between reads (tests/test_update_cap_screen.py: within 1e-4 of the state);
#: the margin (0.5: a quarter of the energy) covers what it cannot see between reads (a parameter without a
#: gradient in a layer that has one, a state changed behind the guard's back).
SCREEN = 0.5


class UpdateCap:
    """Per-layer StableAdamW update cap, applied by the guard's actuator (see the module docstring).

    Args:
        gate: ``"evidence"`` (default: only for ``window`` steps after a layer's surprise exceeds ``threshold``, or
            after an ``open_on`` event) or ``"always"`` (every step, as StableAdamW).
        window: steps the cap stays on once opened, the opening step included (default 1; evidence gate only).
            Chosen on the development seeds of ``benchmarks/spikes.py`` (recover, Adam runs) from 1, 3 and 10 under
            an earlier gate that judged the unclipped gradient: relu_adam_high_lr 0.0233 / 0.0357 / 0.0382 against
            0.0338 without the cap (a longer window keeps capping the steps after a spike, where an RMS above 1 is
            ordinary). That gate also capped a healthy held-out LSTM LM (0.928 -> 0.948 of its plain loss); judged
            on the clipped gradient, under ``recover`` a window opens on 1 of 15 development runs (0.0336).
        max_rms: the RMS of g^2/u-hat above which a layer's step is divided by its RMS (default 1.0, as
            StableAdamW; dimensionless, >= 1).
        threshold: the surprise sqrt(sum g^2 / sum v-hat) that opens the window (default 10.0, the calibrated
            threshold of :class:`~gradguard.precursors.AdamStatePrecursor`: 0 false alarms on every healthy
            corpus half).
        min_share: a layer is judged only with at least this share of the step's gradient energy (default 0.1).
        min_step: no window opens before this step (default 10: Adam's second moment is still forming).
        open_on: event kinds that also open the window (default ``("precursor",)``).
        warn_unsupported: say once (a warning) when the optimizer keeps no Adam second moment, so nothing is capped
            (default True; a preset that holds the cap for every optimizer passes False).
        screen: follow the surprise on the host and read Adam's state only when it may exceed the threshold
            (default True; False reads the state on every applied step, the same windows at a higher cost).

    Raises:
        ConfigError: a setting out of range.
    """

    survives_rollback = False

    def __init__(self, *, gate: str = "evidence", window: int = 1, max_rms: float = 1.0, threshold: float = 10.0,
                 min_share: float = 0.1, min_step: int = 10, open_on: Sequence[str] = ("precursor",),
                 warn_unsupported: bool = True, screen: bool = True) -> None:
        if gate not in GATES:
            raise ConfigError("gate", gate, f"one of {GATES}")
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ConfigError("window", window, "an int >= 1 (steps the cap stays on once opened)")
        if isinstance(max_rms, bool) or not isinstance(max_rms, (int, float)) or not max_rms >= 1.0:
            raise ConfigError("max_rms", max_rms, "a number >= 1 (the RMS of g^2/v when the gradient is as expected)")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold > 0:
            raise ConfigError("threshold", threshold, "a number > 0 (a surprise: 1 = the gradient Adam expects)")
        if isinstance(min_share, bool) or not isinstance(min_share, (int, float)) or not 0.0 <= min_share < 1.0:
            raise ConfigError("min_share", min_share, "a number in [0, 1) (a share of the step's gradient energy)")
        if isinstance(min_step, bool) or not isinstance(min_step, int) or min_step < 0:
            raise ConfigError("min_step", min_step, "an int >= 0")
        if isinstance(open_on, str) or not all(isinstance(k, str) for k in open_on):
            raise ConfigError("open_on", open_on, "a sequence of event kinds, e.g. ('precursor',)")
        self.gate = gate
        self.window = window
        self.max_rms = float(max_rms)
        self.threshold = float(threshold)
        self.min_share = float(min_share)
        self.min_step = min_step
        self.open_on = frozenset(open_on)
        self.warn_unsupported = bool(warn_unsupported)
        if not isinstance(screen, bool):
            raise ConfigError("screen", screen, "True or False (read Adam's state only near the threshold)")
        self.screen = screen
        self.monitor: AdamStateMonitor | None = None
        self.expected: ExpectedEnergy | None = None
        self._stats: StepStats | None = None
        self._clip: tuple[int, Decision] | None = None  # (step, decision) the actuator applied before layer_scales
        self.reads = 0  # reads of Adam's state (this process; the gate's cost)
        self._bound = False
        self._step = -1
        self._until = -1  # the window covers the steps < _until
        self.opened: list[int] = []  # steps that opened a window (this process; not checkpointed)
        self.capped: dict[int, dict[str, float]] = {}  # step -> {layer: RMS} of the steps the actuator capped

    # --------------------------------------------------------------------------------------- binding
    def bind(self, model: nn.Module, optimizer: torch.optim.Optimizer | None) -> None:
        """Called once by the guard's actuator. An optimizer without Adam's state is said once and never capped."""
        self._bound = True
        if optimizer is not None and supports_adam_state(optimizer):
            self.monitor = AdamStateMonitor(model, optimizer)
            if self.screen and self.gate == "evidence":
                self.expected = ExpectedEnergy(self.monitor)
            return
        if not self.warn_unsupported:
            return
        name = "no optimizer" if optimizer is None else type(optimizer).__name__
        warnings.warn(f"gradguard: UpdateCap needs an Adam-family optimizer's second moment ({name} keeps none): "
                      "it caps nothing", stacklevel=3)

    # --------------------------------------------------------------------------------------- policy
    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        """Open the window on an ``open_on`` event; never acts on the gradients itself (the actuator asks
        :meth:`layer_scales`, which judges the surprise on the gradients the optimizer will receive)."""
        self._step = stats.step
        self._stats = stats
        if self.monitor is not None and self.gate == "evidence" and any(e.kind in self.open_on for e in events):
            self._open(stats.step)
        return Decision()

    def note_clip(self, decision: Decision) -> None:
        """Called by the actuator after it clipped the step's gradients by ``decision`` and before
        :meth:`layer_scales`: the host screen scales the guard's per-layer norms by the same coefficients."""
        self._clip = (self._step, decision)

    def _grad_sq(self) -> np.ndarray | None:
        """Per layer ||g||^2 as the optimizer will receive it (the guard's norms of this step times the clip), or
        None when unknown (no note of the clip for this step, a clip by value, a layer count that differs)."""
        stats, clip = self._stats, self._clip
        if stats is None or clip is None or stats.step != self._step or clip[0] != self._step:
            return None
        decision = clip[1]
        norms = np.asarray(stats.layer_grad_norm, dtype=np.float64)
        if decision.clip_value is not None or self.monitor is None or len(norms) != self.monitor.num_layers:
            return None
        coef = np.full(len(norms), float(decision.clip_coef))
        if decision.layer_clip_coefs is not None:
            coef = coef * np.asarray(decision.layer_clip_coefs, dtype=np.float64)
        return (norms * coef) ** 2

    def _read(self, full: bool) -> AdamStateStats:
        assert self.monitor is not None
        measured = self.monitor.measure(self._step, full=full)  # foreach norms of the gradients and of v
        self.reads += 1
        if self.expected is not None:
            self.expected.sync(measured)
        return measured

    def _judge(self, grad_sq: np.ndarray | None) -> None:
        """Open the window when a layer's surprise, on the gradients now in ``.grad`` (after the guard's clip),
        exceeds the threshold. Judged after the clip because Adam folds the clipped gradient into its moments: a
        surprise from the unclipped norm against a second moment built from clipped gradients is inflated by the
        clip (a healthy LSTM LM under ``recover``, clipped on 112 of 200 steps, opened 21 windows that way).
        With the screen, the state is read only when the host copy's surprise exceeds ``SCREEN`` x threshold (or
        the copy is stale); the verdict is always the read's."""
        assert self.monitor is not None
        if self._step < self.min_step or self._step < self._until:
            return  # too early to judge, or already open
        expected = self.expected
        if expected is not None and grad_sq is not None and not expected.stale:
            screened = expected.judged_max(grad_sq, self.min_share)
            if screened is not None and not screened > SCREEN * self.threshold:
                return  # nothing near the threshold: no read
        measured = self._read(full=False)
        if (judged_surprise(measured, self.min_share) > self.threshold).any():
            self._open(self._step)

    def _open(self, step: int) -> None:
        self._until = step + self.window
        self.opened.append(step)

    @property
    def active(self) -> bool:
        """Whether the step last decided is capped (where a layer's RMS exceeds ``max_rms``)."""
        return self.monitor is not None and (self.gate == "always" or self._step < self._until)

    def layer_scales(self) -> dict[str, float]:
        """``{layer name: 1/RMS}`` for the layers whose step is to be capped, measured on the gradients now in
        ``.grad`` (after the guard's clip) against the optimizer's state; empty when the cap is off. Call before
        ``optimizer.step()`` (the host screen counts the call as an applied step)."""
        if self.monitor is not None and self.monitor.unsupported:
            return {}  # the optimizer's state has no second moment (said once by the monitor)
        grad_sq = self._grad_sq() if self.expected is not None else None
        try:
            return self._scales(grad_sq)
        finally:
            if self.expected is not None:
                if grad_sq is None:
                    self.expected.invalidate()
                elif self.expected.synced:
                    self.expected.advance(grad_sq)

    def _scales(self, grad_sq: np.ndarray | None) -> dict[str, float]:
        if self.monitor is not None and self.gate == "evidence":
            self._judge(grad_sq)
        if not self.active:
            return {}
        rms = np.nan_to_num(self._read(full=True).layer_rms, nan=0.0, posinf=0.0)
        over = np.nonzero(rms > self.max_rms * (1.0 + RMS_TOLERANCE))[0]
        if over.size == 0:
            return {}
        assert self.monitor is not None
        names = self.monitor.layer_names
        self.capped[self._step] = {names[i]: round(float(rms[i]), 4) for i in over}
        return {names[i]: 1.0 / float(rms[i]) for i in over}

    def state_dict(self) -> dict[str, Any]:
        return {"until": self._until}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the window (a rollback or a resume: the optimizer's state was replaced, so the host copy of
        the second moment is read again before it is trusted)."""
        self._until = int(state.get("until", -1))
        if self.expected is not None:
            self.expected.invalidate()

    def __repr__(self) -> str:
        if self.gate == "always":
            return f"update_cap(gate='always', max_rms={self.max_rms:g})"
        return f"update_cap(window={self.window}, threshold={self.threshold:g}, max_rms={self.max_rms:g})"


def update_cap(gate: str = "evidence", window: int = 1, max_rms: float = 1.0, threshold: float = 10.0,
               screen: bool = True) -> UpdateCap:
    """A per-layer StableAdamW update cap for a policy chain, applied by the guard (see :class:`UpdateCap`)::

        guard = gradguard.Guard(model, opt, policy=gradguard.policy.chain(*gradguard.policy.recover().policies,
                                                                          update_cap()))
    """
    return UpdateCap(gate=gate, window=window, max_rms=max_rms, threshold=threshold, screen=screen)
