"""Detectors on the precursor signals: ``precursor`` (Adam state), ``attention_logit_growth``, ``logit_divergence``.

Each follows the detector protocol (``detector(stats, layer_names) -> events``, ``state_dict``), so it goes in
``Guard(..., detectors=[...])`` beside the default ones; :func:`precursor_detectors` builds them for a model and an
optimizer. They run where the guard's detectors run: after ``backward()`` and before ``optimizer.step()``.

Thresholds are calibrated with ``benchmarks/precursors.py`` (development seeds) and reported on held-out seeds.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from ..events import Event
from ..stats_types import StepStats
from ._bound import SurpriseBound
from .adam_state import AdamStateMonitor, AdamStateStats, supports_adam_state
from .probes import ProbeReading, TransformerProbes

__all__ = ["AdamStatePrecursor", "ProbeDetector", "judged_surprise", "precursor_detectors", "probe_evidence",
           "with_precursors"]

#: max attention logit above which a layer warns (Kimi K2's QK-clip cap; healthy small runs stay below ~60)
ATTENTION_THRESHOLD = 100.0

_QK_NORM_CODE = """# QK-layernorm: normalise queries and keys per head before the dot product
q = self.q_norm(q)   # self.q_norm = nn.LayerNorm(head_dim)  (or RMSNorm)
k = self.k_norm(k)   # self.k_norm = nn.LayerNorm(head_dim)"""
_Z_LOSS_CODE = """# z-loss (PaLM; Wortsman et al. 2023): keep log Z of the output logits near 0
log_z = torch.logsumexp(logits.float(), dim=-1)
loss = loss + 1e-4 * (log_z ** 2).mean()"""
_QK_INIT_CODE = """# smaller queries and keys at init (q.k grows with the square of their scale)
for block in model.blocks:   # the attention projections producing q and k
    torch.nn.init.normal_(block.attn.c_attn.weight, std=0.02 / math.sqrt(2 * n_layers))"""
_CAP_CODE = """from gradguard.policy import chain, recover
from gradguard.precursors import update_cap
# the guard divides a layer's Adam step by max(1, RMS(g^2/v)) on the steps where its gradient is far beyond Adam's
# second moment (update_cap(gate="always"): every step, as StableAdamW)
guard = gradguard.Guard(model, optimizer, policy=chain(*recover().policies, update_cap()))"""


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(name, value, "a number > 0")
    return float(value)


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(name, value, "an int >= 0")
    return value


def _cause(cause: str, confidence: float, message: str, prescription: str, code: str) -> dict[str, Any]:
    return {"cause": cause, "severity": "warning", "confidence": confidence, "message": message,
            "prescription": prescription, "code": code}


def _attention_causes() -> tuple[dict[str, Any], ...]:
    return (
        _cause("normalization", 0.6, "queries and keys grow without bound (no QK normalisation)",
               "add QK-layernorm (or QK-clip: rescale W_q, W_k when a head's max logit exceeds 100)", _QK_NORM_CODE),
        _cause("lr", 0.4, "the learning rate is high enough for q and k to grow this fast",
               "lower the learning rate or lengthen the warm-up", "lr = lr / 3"),
        _cause("init", 0.3, "queries and keys start large (the logit scales with the square of W_q, W_k)",
               "initialise the query and key projections smaller", _QK_INIT_CODE),
    )


def _finite(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def probe_evidence(reading: ProbeReading, probes: TransformerProbes, *, top: int = 5,
                   attention_threshold: float = ATTENTION_THRESHOLD) -> dict[str, Any]:
    """A probe reading as an event's evidence (JSON: NaN/Inf become None): the max attention logit per layer and
    head, log Z (mean, max; nats) and the output head's weight norm, the ``top`` largest linear output RMS (of
    ``linear_rms_count``), modules the probes cannot read, and under ``causes`` the attention causes (QK-norm,
    lower LR, smaller q/k init) when a layer's max logit exceeds ``attention_threshold``."""
    over = [n for n, v in reading.attention.items() if math.isfinite(v) and v > attention_threshold]
    rms = sorted(((v if math.isfinite(v) else math.inf, n) for n, v in reading.linear_rms.items()), reverse=True)
    found: dict[str, Any] = {
        "step": reading.step,
        "max_attention_logit": {n: _finite(v, 2) for n, v in reading.attention.items()},
        "attention_heads": {n: [_finite(x, 2) for x in h] for n, h in reading.attention_heads.items()},
        "log_z_mean": _finite(reading.log_z_mean), "log_z_max": _finite(reading.log_z_max),
        "head_weight_norm": _finite(reading.head_weight_norm),
        "linear_rms_top": {n: _finite(v) for v, n in rms[:top]}, "linear_rms_count": len(rms),
        "unreadable": list(probes.unreadable), "attention_threshold": attention_threshold,
        "attention_over": over,
    }
    if over:
        found["causes"] = _attention_causes()
    return found


def judged_surprise(measured: AdamStateStats, min_share: float = 0.1) -> np.ndarray:
    """Per layer, the surprise of :class:`AdamStatePrecursor` judges: ``layer_surprise`` where the layer carries at
    least ``min_share`` of the step's gradient energy (sum g^2 over the layers), 0 elsewhere, where unmeasured and
    where infinite (a layer whose second moment is exactly 0 has no expectation yet: it is waking up)."""
    surprise = np.nan_to_num(measured.layer_surprise, nan=0.0, posinf=0.0)
    energy = np.nan_to_num(measured.layer_grad_sq, nan=0.0)
    return np.where(energy >= min_share * float(energy.sum()), surprise, 0.0)


class AdamStatePrecursor:
    """Raises ``precursor`` when a layer's gradient is far beyond what Adam's second moment expects.

    The statistic is ``layer_surprise`` of :class:`~gradguard.precursors.AdamStateStats`: sqrt(Σg²/Σv̂) against the
    second moment before this step (1 when the gradient is as Adam expects). Wortsman et al.'s RMS of g²/û
    (with this step's gradient folded into û) is kept in the evidence; it cannot exceed sqrt((1-β2^t)/(1-β2)) —
    4.5 at β2 = 0.95, about sqrt(t) in the first steps — so no single threshold on it fits every setting.

    A layer is judged only while it carries at least ``min_share`` of the step's gradient energy (Σg² over the
    model). A layer 10x beyond its second moment carries 100x the energy Adam expects of it, so this leaves out only
    layers whose expected energy is a sliver of the model's: a path behind a zero-initialised layer that is still
    waking up (its second moment formed on near-zero gradients), or a small layer with a heavy-tailed gradient. On
    the original held-out half of the judgment corpus those raised the only false alarms (``gpt_zero_residual``
    10.5 and ``vit_zero_head`` 10.2, in layers with 0.04% and 2.1% of the energy); on the development seeds of
    ``benchmarks/precursors.py`` every spike warned of was warned of by a layer with at least 28% of it. Scored
    after the choice: no healthy model of any corpus half raises it (held-out 0 of 12 Adam models, was 2; fresh 0
    of 8; fresh2 0 of 12); on the held-out seeds it keeps 13 of the 14 warnings the unconditioned surprise gave (the
    lost one: 16.3 in a layer with 0.1% of the energy, 7 steps before a spike, nothing above 4 in between).

    With ``screen=True`` (default) a quiet step reads nothing: Adam's second moment can only shrink by ``beta2`` per
    step, so the totals of the last read give a guaranteed upper bound on every layer's surprise
    (:class:`~gradguard.precursors._bound.SurpriseBound`; the gradients' energy is the guard's own per-layer norm,
    already on the host). The state is read (one foreach 1-norm of the second moment, one host read) only when that
    bound says a judged layer could cross ``threshold``, every ``resync_every`` steps, and on a step with non-finite
    gradients (the alarm path); never before ``min_step`` or within ``cooldown`` of an event, where no event can be
    raised. The event is judged on the read, so the events are those of a read every step (``screen=False``, which
    also keeps :attr:`last` per step). Measured on ``benchmarks/precursors.py`` (48 runs of 300 steps per seed set):
    the same 25 (development) and 28 (held-out) events, steps and layers, from 276 and 270 reads instead of 14,400
    (121 on the 7,200 healthy steps: a first read, one per 100 steps, and those the bound asked for). Wortsman's RMS
    and the update RMS are measured on warning steps only.

    Args:
        model, optimizer: the guarded model and its Adam-family optimizer.
        threshold: surprise above which a layer warns (dimensionless; default 10.0, calibrated on the judgment
            corpus's healthy development models, see ``benchmarks/precursors_corpus.py``).
        min_step: no warning before this step (the first steps' second moment is still being formed; default 10).
        cooldown: at most one event per this many steps (default 50).
        min_share: the share of the step's gradient energy below which a layer is not judged (0 <= min_share < 1;
            default 0.1, chosen on the development half from 0.003, 0.01, 0.03, 0.1, 0.2: the smallest with the
            largest healthy margin that kept every development warning).
        screen: read the state only when the bound says a layer could cross (default True; False reads it every
            step, the same events, and :attr:`last` holds every step's measurement).
        resync_every: with the screen, steps after which the state is read again anyway (default 100; an int >= 1).

    Attributes:
        last: the latest measurement read (every step with ``screen=False``; with the screen, the latest read).
        reads: reads of the optimizer's state made (this process; the detector's host cost).
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, *, threshold: float = 10.0,
                 min_step: int = 10, cooldown: int = 50, min_share: float = 0.1, screen: bool = True,
                 resync_every: int = 100) -> None:
        self.threshold = _positive("threshold", threshold)
        self.min_step = _count("min_step", min_step)
        self.cooldown = _count("cooldown", cooldown)
        if isinstance(min_share, bool) or not isinstance(min_share, (int, float)) or not 0.0 <= min_share < 1.0:
            raise ConfigError("min_share", min_share, "a number in [0, 1) (a share of the step's gradient energy)")
        self.min_share = float(min_share)
        if isinstance(resync_every, bool) or not isinstance(resync_every, int) or resync_every < 1:
            raise ConfigError("resync_every", resync_every, "an int >= 1 (steps between reads of the state)")
        if not isinstance(screen, bool):
            raise ConfigError("screen", screen, "True or False (read Adam's state only when a layer could cross)")
        self.screen = screen
        self.resync_every = resync_every
        self.monitor = AdamStateMonitor(model, optimizer)
        self.bound = SurpriseBound(self.monitor)
        self._last = -(10 ** 9)
        self.last: AdamStateStats | None = None
        self.reads = 0

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        known = stats.layer_grad_norm
        grad_sq = known ** 2 if known.shape == (self.monitor.num_layers,) else None
        quiet = stats.step < self.min_step or stats.step - self._last < self.cooldown
        if self.screen and not self._due(stats, grad_sq, quiet):
            return []
        measured = self.monitor.measure(stats.step, full=False, grad_sq=grad_sq)
        self.reads += 1
        self.bound.sync(measured, stats.step)
        self.last = measured
        over = self.judge(measured)
        if quiet or over.size == 0:
            return []
        measured = self.monitor.measure(stats.step, full=True)  # the evidence: Wortsman's RMS, this step only
        surprise = measured.layer_surprise
        energy = np.nan_to_num(measured.layer_grad_sq, nan=0.0)
        share = energy / max(float(energy.sum()), 1e-300)
        self._last = stats.step
        names = [self.monitor.layer_names[i] for i in over]
        worst = float(np.nanmax(surprise[over]))
        return [Event(
            step=stats.step, kind="precursor", severity="warning",
            message=(f"the gradient of {len(names)} layer(s) is up to {worst:.1f}x the RMS Adam's second moment "
                     f"expects (threshold {self.threshold:g}): its step will be far larger than usual"),
            layers=tuple(names),
            evidence={"signal": "adam_surprise", "threshold": self.threshold,
                      "surprise": {n: round(float(surprise[i]), 3) for n, i in zip(names, over, strict=True)},
                      "rms_g2_over_v": {n: round(float(measured.layer_rms[i]), 3)
                                        for n, i in zip(names, over, strict=True)},
                      "energy_share": {n: round(float(share[i]), 3) for n, i in zip(names, over, strict=True)},
                      "min_share": self.min_share},
            causes=(_cause("lr", 0.6, "the gradient grew faster than Adam's second moment can follow",
                           "cap the update where it happens (StableAdamW-style), or lower beta2 (0.95) or the "
                           "learning rate", _CAP_CODE),),
        )]

    def _due(self, stats: StepStats, grad_sq: np.ndarray | None, quiet: bool) -> bool:
        """Whether the screen reads the state at this step (see the class docstring)."""
        if not stats.grads_finite:
            return True  # the alarm path: the state as it stands, for the record
        if quiet:
            return False  # no event can be raised
        if not self.bound.synced or stats.step - self.bound.read_step >= self.resync_every:
            return True
        return self.bound.needs_read(stats.step, grad_sq, self.threshold, self.min_share)

    def judge(self, measured: AdamStateStats) -> np.ndarray:
        """Indices of the layers over the threshold among those with at least ``min_share`` of the energy."""
        return np.asarray(np.nonzero(judged_surprise(measured, self.min_share) > self.threshold)[0])

    def state_dict(self) -> dict[str, Any]:
        return {"last": self._last}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the cooldown (a rollback or a resume: the optimizer's state was replaced, so the bound is
        forgotten and the state read again)."""
        self._last = int(state.get("last", -(10 ** 9)))
        self.bound.invalidate()


class ProbeDetector:
    """Reads :class:`TransformerProbes` on probed steps; raises ``attention_logit_growth`` and ``logit_divergence``.

    Args:
        probes: the probes (they arm their hooks for the forward of every ``probes.every``-th step).
        attention_threshold: max attention logit above which a layer warns (default 100, Kimi K2's QK-clip cap;
            healthy small runs stay below ~60, see benchmarks/precursors.py).
        log_z_threshold: drift of the mean log Z from its first probed value, in nats, above which the output
            logits are said to diverge (default 5.0).
        cooldown: at most one event of each kind per this many steps (default 100).
    """

    def __init__(self, probes: TransformerProbes, *, attention_threshold: float = ATTENTION_THRESHOLD,
                 log_z_threshold: float = 5.0, cooldown: int = 100) -> None:
        self.probes = probes
        self.attention_threshold = _positive("attention_threshold", attention_threshold)
        self.log_z_threshold = _positive("log_z_threshold", log_z_threshold)
        self.cooldown = _count("cooldown", cooldown)
        self._first_log_z: float | None = None
        self._last: dict[str, int] = {}
        self.last_reading: ProbeReading | None = None
        if probes.unreadable:
            warnings.warn(f"gradguard: attention module(s) the probes cannot read (not measured): "
                          f"{probes.unreadable[:5]}; register them with probes.register_attention(...)",
                          stacklevel=2)
        if probes.wants(0):
            probes.arm(0)

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        events: list[Event] = []
        if self.probes.armed:
            reading = self.probes.read()
            if reading is not None and reading.step == stats.step:
                self.last_reading = reading
                events = self._judge(reading)
        if self.probes.wants(stats.step + 1):
            self.probes.arm(stats.step + 1)
        return events

    def _due(self, kind: str, step: int) -> bool:
        if step - self._last.get(kind, -(10 ** 9)) < self.cooldown:
            return False
        self._last[kind] = step
        return True

    def _judge(self, r: ProbeReading) -> list[Event]:
        out: list[Event] = []
        over = {n: v for n, v in r.attention.items() if math.isfinite(v) and v > self.attention_threshold}
        if over and self._due("attention_logit_growth", r.step):
            worst = max(over.values())
            out.append(Event(
                step=r.step, kind="attention_logit_growth", severity="warning",
                message=(f"max attention logit {worst:.0f} in {len(over)} layer(s) (threshold "
                         f"{self.attention_threshold:g}): attention is collapsing onto single positions"),
                layers=tuple(over),
                evidence={"signal": "attention_logit", "threshold": self.attention_threshold,
                          "max_logit": {n: round(v, 2) for n, v in over.items()},
                          "per_head": {n: [round(x, 2) for x in r.attention_heads.get(n, [])] for n in over}},
                causes=_attention_causes(),
            ))
        if r.log_z_mean is not None and math.isfinite(r.log_z_mean):
            if self._first_log_z is None:
                self._first_log_z = r.log_z_mean
            drift = r.log_z_mean - self._first_log_z
            if abs(drift) > self.log_z_threshold and self._due("logit_divergence", r.step):
                out.append(Event(
                    step=r.step, kind="logit_divergence", severity="warning",
                    message=(f"log Z of the output logits drifted {drift:+.1f} nats from its start "
                             f"(threshold {self.log_z_threshold:g}): the output logits are diverging"),
                    layers=(),
                    evidence={"signal": "log_z", "threshold": self.log_z_threshold, "log_z_mean": r.log_z_mean,
                              "log_z_first": self._first_log_z, "log_z_max": r.log_z_max,
                              "head_weight_norm": r.head_weight_norm},
                    causes=(
                        _cause("regularization", 0.6, "nothing keeps the softmax normaliser near 0",
                               "add z-loss (1e-4 * log Z^2)", _Z_LOSS_CODE),
                        _cause("lr", 0.4, "the output head moves fast at this learning rate",
                               "lower the learning rate, or the output head's", "lr = lr / 3"),
                    ),
                ))
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"first_log_z": self._first_log_z, "last": dict(self._last)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._first_log_z = state.get("first_log_z")
        self._last = {str(k): int(v) for k, v in dict(state.get("last", {})).items()}


def precursor_detectors(model: nn.Module, optimizer: torch.optim.Optimizer | None = None, *,
                        probe_every: int = 10, screen: bool = True) -> list[Any]:
    """The precursor detectors that apply to ``model`` and ``optimizer``, to add to ``Guard(detectors=...)``.

    Adam-family optimizers get :class:`AdamStatePrecursor` (``screen``: read its state only when a layer could
    cross, default True; False reads it every step, for a per-step trace in :attr:`AdamStatePrecursor.last`);
    other optimizers are said once to have no optimizer-state statistics. Models with attention modules or an
    output head get a :class:`ProbeDetector`.
    """
    found: list[Any] = []
    if optimizer is not None:
        if supports_adam_state(optimizer):
            found.append(AdamStatePrecursor(model, optimizer, screen=screen))
        else:
            warnings.warn(f"gradguard: {type(optimizer).__name__} keeps no Adam second moment: no optimizer-state "
                          f"precursor for it", stacklevel=2)
    probes = TransformerProbes(model, every=probe_every, linear_rms=False)
    if probes.attention or probes.head is not None:
        found.append(ProbeDetector(probes))
    return found


def with_precursors(model: nn.Module, optimizer: torch.optim.Optimizer, *, probe_every: int = 10) -> list[Any]:
    """The default detectors plus the precursor detectors, for ``Guard(model, optimizer, detectors=...)``::

        guard = gradguard.Guard(model, optimizer, detectors=with_precursors(model, optimizer))
    """
    from ..detectors import default_detectors
    from ..inventory import build_inventory

    return [*default_detectors(build_inventory(model, optimizer).num_layers),
            *precursor_detectors(model, optimizer, probe_every=probe_every)]
