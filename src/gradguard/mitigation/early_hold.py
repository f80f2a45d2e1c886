"""Adam's first steps at a rate far too high for the weights' scale: a warm-up the run did not have.

An Adam-family optimizer's first steps are sign-like: every element moves by about ``lr`` whatever the gradient's
scale, so a step moves a weight matrix by about ``lr / rms(W)`` of its own RMS. At the usual settings that share is
small: over the healthy Adam-family models of the judgment corpus the parameter-weighted median of ``lr / rms(W)``
at the first step was at most 0.20 in the halves of session 10 (a TCN; GPT-2, nanoGPT and ViT at 0.02 std and
3e-4..1e-3: 0.015-0.05); later batches brought two healthy models above the gate, which are held (session 17, all
twenty halves: an FNO's spectral weights 1.8, SGC at Adam 0.2 1.4; final loss under the hold alone against plain,
seeds 0/1: the FNO 1.13/1.47, SGC 0.95/0.91; CTRL and a factorization machine under Adagrad measure 2.5 and 5.0 but
Adagrad, whose state exists from its construction, is never judged). At 0.7 (a 10-layer ReLU MLP at PyTorch's
default init under Adam 0.05: its first step moves the median matrix by 0.46 of its norm) the first steps rewrite
the weights, and which net then dies (every unit of a layer off: a constant output) is a lottery no clip decides:
the gradient's scale does not enter the step.

:class:`HoldEarlySteps` judges the run once, when the guard is built (the weights and rates before any step, on an
optimizer without state): when that median is at least ``gate`` it lowers every param group's rate (the
scheduler's base rates with it) by ``target / median`` before the first step and puts it back after ``steps``
steps. Chosen on the development seeds of ``benchmarks/spikes.py`` (relu_adam_high_lr, seeds 0-4, 10-29 and 100-139
under ``safe``): target 0.1 over 25 steps, 0 dead nets in 65 (4 without); target 0.05 or 0.2, 10 or 50 steps, a
linear ramp, were worse (README "Mitigation against the peers").

The release: a rate at most ``release_jump`` (10x) above the held one is put back at once, as chosen above. A larger
one is put back ``ramp`` (2x) a step, and the first step in trouble (non-finite, ``explode``, ``loss_spike``,
``divergence``) on the way or in the ``steps`` steps after it is back takes the rate back to the held one for the
rest of the run, with a warning: the held rate is the one the run has shown it takes. Put back at once, a rate
thousands of times the held one rewrites every weight in one step: thuml/Time-Series-Library's TiDE at Adam lr 100
(1000x its rate; share ~1e3) trained under the hold to loss 0.20 by step 20, blew up on the release and ended at
validation MSE 7.2e4, where the plain run (blown up at step 1, its rate halved every epoch) ended at 29 (real code
round 9, session 37); released 2x a step it went into trouble at step 31, went back to the held rate and ended at
0.110 (healthy 0.112; session 38). lucidrains/vit-pytorch's MobileViT at Adam 0.3 blew up two steps after its ramp
ended (seed 1: 33.4 against 0.41 plain): hence the watch after it. The healthy held models of the corpus (FNO, WNO,
instant-NGP's hash grids at share 174) complete the ramp and its watch without trouble.

An optimizer that steps a single weight matrix is not held: the lottery is a stack's (a rewritten layer shuts off
the units of the next), and a one-matrix model has none. pytorch/examples' mnist_forward_forward trains each layer
with its own Adam at lr 0.03 (share 1.5): held, its test error was 0.443 and 0.370 at seeds 0/1 against 0.365 and
0.261 plain (a release spread over 5-25 steps did no better: 0.40-0.46); not held, 0.171 and 0.219 (session 32).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .._tensors import real_float
from ..decision import Decision
from ..errors import ConfigError
from ..events import Event
from ..stats_types import StepStats
from .backoff import troubled

__all__ = ["HoldEarlySteps", "held_steps", "hold_before_first_step", "median_step_share", "weighted_median"]


def median_step_share(optimizer: torch.optim.Optimizer, lrs: Sequence[float] | None = None,
                      factors: Mapping[int, float] | None = None) -> float | None:
    """The parameter-weighted median over the optimizer's weight matrices (>= 2 dimensions, not all zero) of
    ``lr / rms(W)``: the share of its RMS a sign-like step moves a matrix by. ``lrs``: one rate per param group
    (default: the groups' current ``lr``; ``check`` passes a schedule's peak). ``factors``: by ``id(param)``, the
    size of the first step per unit lr where it is not sign-like (an ``eps`` larger than the gradient; default 1).
    None without such a matrix."""
    rows: list[tuple[float, float]] = []
    with torch.no_grad():
        for i, group in enumerate(optimizer.param_groups):
            if lrs is not None and i >= len(lrs):
                break
            lr = group.get("lr", 0.0) if lrs is None else lrs[i]
            lr = float(lr.item()) if isinstance(lr, torch.Tensor) else float(lr)
            for p in group["params"]:
                if p.dim() < 2 or p.numel() == 0:
                    continue
                rms = float(real_float(p.detach()).pow(2).mean().sqrt())
                if rms > 0 and math.isfinite(rms):
                    f = 1.0 if factors is None else factors.get(id(p), 1.0)
                    rows.append((lr * f / rms, float(p.numel())))
    return weighted_median(rows)


def weighted_median(rows: list[tuple[float, float]]) -> float | None:
    """The weighted median of ``(value, weight)`` rows: the smallest value whose cumulative weight (rows sorted by
    value) reaches half the total; None without rows."""
    if not rows:
        return None
    rows = sorted(rows)
    values = np.array([r for r, _ in rows])
    sizes = np.cumsum([n for _, n in rows])
    return float(values[int(np.searchsorted(sizes, 0.5 * sizes[-1]))])


class HoldEarlySteps:
    """Lower the rate for the first ``steps`` steps of a run whose first Adam step is far too large (see the module
    docstring). Host-only: it changes the rate, never a step's gradients, so the deferred mode keeps it.

    Args:
        gate: the median share (``lr / rms(W)``) at or above which the run is held (default 0.3: 1.5x the largest
            healthy corpus value; > 0).
        target: the share the held rate moves the weights by (default 0.1; 0 < target < gate).
        steps: the steps held, from the first (default 25, the adaptive clipper's warm-up; >= 1).
        release_jump: the largest factor the rate is put back by at once (default 10; >= 1); a larger one is
            put back ``ramp`` a step, and back at the held rate for good from the first step in trouble on the
            way or in the ``steps`` steps after.
        ramp: the factor per step of a gradual release (default 2; > 1).

    Raises:
        ConfigError: a setting out of range.
    """

    survives_rollback = True  # its rate change is the guard's, which a rollback keeps

    def __init__(self, gate: float = 0.3, target: float = 0.1, steps: int = 25, release_jump: float = 10.0,
                 ramp: float = 2.0) -> None:
        if isinstance(gate, bool) or not isinstance(gate, (int, float)) or not 0 < gate < math.inf:
            raise ConfigError("gate", gate, "a finite number > 0 (the first step's lr / rms(W))")
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < gate:
            raise ConfigError("target", target, f"a number in (0, gate={gate:g})")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ConfigError("steps", steps, "an int >= 1 (steps held from the first)")
        if isinstance(release_jump, bool) or not isinstance(release_jump, (int, float)) or \
                not 1 <= release_jump < math.inf:
            raise ConfigError("release_jump", release_jump,
                              "a finite number >= 1 (the largest factor put back at once)")
        if isinstance(ramp, bool) or not isinstance(ramp, (int, float)) or not 1 < ramp < math.inf:
            raise ConfigError("ramp", ramp, "a finite number > 1 (the factor per step of a gradual release)")
        self.gate = float(gate)
        self.target = float(target)
        self.steps = steps
        self.release_jump = float(release_jump)
        self.ramp = float(ramp)
        self.held = 1.0  # the factor the hold started at (1.0: not held)
        self._kept = False  # a gradual release ran into trouble: the rate is back at the held one for good
        self._watch_until: int | None = None  # the last step after a gradual release whose trouble takes it back
        self.share: float | None = None  # the median share measured when the guard was built
        self.scale = 1.0  # the factor the rate is held at (1.0: not held, or put back)
        self._pending: Decision | None = None
        self._judged = False  # the loss is a moving judge's verdict (set_loss_unread): the hold ends at once

    def set_optimizer(self, optimizer: Any) -> None:
        """Called once by the guard with the optimizer it steps, before any step: judge the run. Only a fresh
        Adam-family optimizer (no state yet) is judged; a resumed run gets its hold from its state."""
        from ..diagnosis.stepsize import optimizer_family

        if not isinstance(optimizer, torch.optim.Optimizer) or optimizer_family(optimizer) != "adam" or optimizer.state:
            return
        matrices = sum(1 for g in optimizer.param_groups for p in g["params"] if p.dim() >= 2 and p.numel() > 0)
        if matrices < 2:  # one weight matrix: no stack whose layers a rewritten one could shut off (see the docstring)
            return
        self.share = median_step_share(optimizer)
        if self.share is None or not self.share >= self.gate:
            return
        self.scale = self.held = self.target / self.share
        self._pending = Decision(lr_factor=self.scale, reason="early_hold", evidence=self._evidence())

    @property
    def _ramping(self) -> bool:
        """Putting the rate back ``ramp`` a step: above the held rate, below the user's, not kept."""
        return not self._kept and self.held < self.scale < 1.0

    def _evidence(self) -> dict[str, Any]:
        return {"lr_to_weight_rms": self.share, "gate": self.gate, "target": self.target, "steps": self.steps,
                "scale": self.scale}

    def initial_decision(self) -> Decision | None:
        """The rate change to make before the first step (once), or None."""
        pending, self._pending = self._pending, None
        return pending

    def initial_event(self) -> Event:
        """The warning that goes with :meth:`initial_decision` (step 0)."""
        return Event(0, "lr_change", "warning",
                     f"Adam's first steps would move the weights by {self.share:.2g} of their RMS per step "
                     f"(usual settings: <= 0.2): the learning rate is held at x{self.scale:.2g} for the first "
                     f"{self.steps} steps (a warm-up). Lower the learning rate or add a warm-up.",
                     evidence={"reason": "early_hold", **self._evidence()})

    def set_loss_unread(self) -> None:
        """Called by the guard once its loss is found to be a moving adversary's verdict (a GAN's networks, an actor
        scored by its critic; :mod:`gradguard.objective`): the hold ends on the next step. In a game the rates are
        relative to the other player's, whose guard holds its own rate over a different count of steps (a critic
        stepped five times per generator step); PyTorch-GAN's WGAN-GP at 100x its rate, seed 0, moment distance:
        held 1.23, not held 0.41, plain 0.35."""
        self._judged = True
        if self._pending is not None:  # told before the first step (Guard(loss_is_progress=False)): never held
            self._pending, self.scale = None, 1.0

    def decide(self, stats: StepStats, events: Sequence[Event]) -> Decision:
        """Put the rate back after the step ``steps - 1`` (so the step ``steps`` runs at the user's rate) — at once
        up to ``release_jump``, else ``ramp`` a step, and back to the held rate for good at the first step in trouble
        on the way or in the ``steps`` steps after — or at once when the loss is found to be a judge's verdict
        (:meth:`set_loss_unread`)."""
        if self._kept or self.held >= 1.0:
            return Decision()
        watching = self._ramping or (self._watch_until is not None and stats.step <= self._watch_until)
        if watching and not self._judged and troubled(stats, events):
            factor = self.held / self.scale
            self.scale, self._kept, self._watch_until = self.held, True, None
            return Decision(lr_factor=factor, reason="early_hold_kept", evidence={
                "steps": self.steps, "lr_to_weight_rms": self.share, "lr_scale": self.scale,
                "says": (f"the rate was put back after the early hold and the run went into trouble at step "
                         f"{stats.step}: it is back at the held rate (x{self.scale:.3g} of yours, which trained "
                         f"the first {self.steps} steps) for the rest of the run. Lower the learning rate to about "
                         "that, or warm it up over more steps.")})
        if self.scale >= 1.0 or (stats.step < self.steps - 1 and not self._judged):
            return Decision()
        up = 1.0 / self.scale
        if self._judged or (not self._ramping and up <= self.release_jump):
            self.scale = 1.0
            return Decision(lr_factor=up, reason="early_hold_end",
                            evidence={"steps": self.steps, "lr_to_weight_rms": self.share,
                                      "ended_by": "judged loss" if self._judged else "steps"})
        up = min(up, self.ramp)
        self.scale *= up
        if math.isclose(self.scale, 1.0, rel_tol=1e-9):
            self.scale, self._watch_until = 1.0, stats.step + self.steps
        return Decision(lr_factor=up, reason="early_hold_end" if self.scale == 1.0 else "early_hold_ramp",
                        evidence={"steps": self.steps, "lr_to_weight_rms": self.share, "lr_scale": self.scale,
                                  "ended_by": "ramp"})

    def device_twin(self) -> _NoDeviceDecision:
        """Its deferred-mode form: nothing to decide on the device (it changes the rate on the host)."""
        return _NoDeviceDecision()

    def state_dict(self) -> dict[str, Any]:
        return {"share": self.share, "scale": self.scale, "held": self.held, "ramping": self._ramping,
                "kept": self._kept, "watch_until": self._watch_until}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        share = state.get("share")
        self.share = None if share is None else float(share)
        self.scale = float(state.get("scale", 1.0))
        self.held = float(state.get("held", self.scale))
        self._kept = bool(state.get("kept", False))
        watch = state.get("watch_until")
        self._watch_until = None if watch is None else int(watch)
        self._pending = None  # a restored run's rate is in its optimizer's state already

    def __repr__(self) -> str:
        return (f"hold_early_steps(gate={self.gate:g}, target={self.target:g}, steps={self.steps}, "
                f"release_jump={self.release_jump:g}, ramp={self.ramp:g})")


def held_steps(policy: Any) -> tuple[int, float] | None:
    """``(steps, share)`` of the policy's :class:`HoldEarlySteps` when it lowered the rate before the first step (the
    steps held and the first step's measured ``lr / rms(W)``); None when nothing was held."""
    from .rollback import members

    for member in members(policy):
        if isinstance(member, HoldEarlySteps) and member.scale < 1.0 and member.share is not None:
            return member.steps, member.share
    return None


def hold_before_first_step(guard: Any) -> list[Event]:
    """Apply each policy member's rate change due before the first step (:meth:`HoldEarlySteps.initial_decision`)
    through the guard's actuator, which keeps the scale against the scheduler; the events to report with the first
    step."""
    from .actuator import Outcome
    from .rollback import members

    events: list[Event] = []
    for member in members(guard.policy):
        hook = getattr(member, "initial_decision", None)
        decision = hook() if callable(hook) else None
        if decision is None:
            continue
        guard._actuator._change_lr(0, decision, Outcome())  # its generic event is replaced by the member's own
        events.append(member.initial_event())
    return events


class _NoDeviceDecision:
    """A member twin that never skips or clips."""

    stateful = False
    skips = False
    clips = False

    def skip_above_sumsq(self) -> float:
        return math.inf

    def clip_norm(self) -> float:
        return math.inf
