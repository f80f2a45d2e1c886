"""Exploding gradients: the global or a layer's norm far above its own history, a ceiling, or the seeds' rule."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..events import Event
from ..stats import StepStats
from ._checks import at_least, at_least_zero, optional_positive, positive
from ._history import LogEMA

#: under a normalising optimizer, the early rule needs the loss this fraction above its first steps' level
EARLY_RISE = 0.01


class ExplodeDetector:
    r"""Raises ``explode`` the step a gradient norm leaves its own history.

    Four rules, any of which fires:

    * **early** (from step 1 until the statistical rule has its ``warmup`` steps): the global norm exceeds
      ``early_ratio`` times its own first-steps level (the geometric mean of the first ``early_steps`` finite
      norms, or of those seen so far) — a run that blows up in its first steps does so long before 20 steps of
      history exist, while a healthy run's norm moves by a small factor there (x1.2-1.4 measured on GPT-2 with
      LR warm-up, a pre-LN transformer and MLPs) — unless the run is only leaving a (near-)zero init: the gradient
      grew with the weights (its ratio to the global weight norm grew less than ``sqrt(early_ratio)``) while the
      loss fell below its first-steps level. A model whose second tower starts at zero (word2vec's context
      vectors) multiplies its gradient with the weights it grows: x19 in 8 steps with the weights x8, g/w x2.3,
      the loss falling. Every early firing on a broken case of the judgment corpus (seeds 0/1) either raised g/w
      by >= 4x or had a loss above its first steps (Mixtral at AdamW 0.3: g/w x2.1, loss 4.19 -> 6.47);
    * **statistical** (after ``warmup`` steps): the z-score of :math:`\log\lVert g\rVert` against an EMA of its
      log (mean and variance, ``beta``) exceeds ``z_threshold`` *and* the norm is at least ``min_ratio`` times the
      history's geometric mean — both, so that a quiet history cannot turn noise into alarms;
    * **ceiling** (from step 0): the global norm exceeds ``ceiling``, or the global gradient-to-weight norm ratio
      exceeds ``ratio_ceiling`` (a step of even lr = 0.01 would then move the weights by their own size). A ratio
      needs a weight to compare with: the gradient of a layer whose weights are (near-)zero — below
      ``zero_weight`` times the median layer's weight norm, e.g. zero-initialised class/register tokens, position
      embeddings or layer scales, whose gradient through a LayerNorm of a zero vector is ~1/sqrt(eps) — is left
      out of that ratio (any step moves such a weight by more than its size, by design);
    * **persistent** (the seeds' rule, off by default): the global norm stays above ``persistent_threshold`` for
      ``persistent_steps`` consecutive steps.

    With an optimizer that normalises its step (Adam and its family, RMSprop, Adagrad, Lion...: the guard says so
    through :meth:`set_optimizer`), a gradient's size is not its step's: the early rule also needs the loss
    ``EARLY_RISE`` (1%) above its first-steps level (a NeRF's density gradient grows x100 from its near-zero start in
    five steps while the loss falls; fresh35's STAMP at its N(0, 0.002) init, x28 in two steps with the loss flat at
    chance; a run that blows up raises its loss). Needing the rise rather than "not below" moved no broken run's
    first warning of the judgment corpus (all 37 halves, seeds 0/1, 25 monitored steps; only STAMP's alarm went).
    The ratio ceiling stays for every optimizer: tried off
    under Adam (a PINN's PDE residual sits at ||g|| / ||w|| ~100-200 while it learns), it cost the in-time event
    of 12 broken runs (8 cases x seeds 0/1) of the judgment corpus (inputs x1000, uniform(0, 1) inits, recurrent
    std 1 under Adam), whose only early sign it is. Under such an optimizer it only waits while the ratio *grew*
    into the ceiling — its first steps' level at most a tenth of it — and the loss is below its first steps' level:
    the PINN starts near 3.5 and crosses 100 at step 52-54 with its loss falling; the broken runs start above the
    ceiling (or their loss does not fall). Tried on the 53 broken cases of the judgment corpus whose first accepted
    event was an explode (seeds 0/1): every first accepted event unchanged; needing only the falling loss moved
    three recurrent-std-1 runs' events from step 1 to 2, 7 and 175.
    A loss that sums its terms (``reduction="sum"``, ``x.sum()``: pytorch/examples' VAE sums binary cross-entropy
    over 128 images of 784 pixels and sits at ||g|| / ||w|| ~300-800 while it learns) is judged, under such an
    optimizer, by its mean's ratio: the ceiling is multiplied by the number of terms, read once from the loss's
    graph by the guard (:meth:`set_loss_terms`; 1 for a mean or an unreadable graph).

    The layers named are those whose own norm rose most against their own history (z above ``z_threshold / 2``
    and ratio above ``min_ratio``), in model order from the input side; before any history exists, the layers
    with the largest gradient-to-weight ratio. Outlier steps enter the history winsorised (capped at the
    threshold) and non-finite ones not at all, so an explosion cannot teach the detector that it is normal.
    One event per episode, then again after 2, 4, 8... consecutive firing steps. An episode's first event is
    ``info`` when only the early or statistical rule fired (a single-step spike that falls back, RetNet's x10 with
    the loss unaffected, is clipping's business), ``warning`` from its second consecutive step; a ceiling is
    ``critical`` at once. On every broken case of the judgment corpus whose first accepted event was an explode
    (47 cases, seeds 0/1) the first accepted event stayed in time (some one step later, or another kind first).

    Args:
        z_threshold: z-score of the log-norm (default 6.0).
        min_ratio: minimum norm / geometric-mean ratio (default 5.0).
        ceiling: absolute global-norm ceiling (default 1e6; None disables it).
        ratio_ceiling: ceiling on ||g|| / ||w|| over the whole model (default 100; None disables it).
        zero_weight: a layer whose weight norm is below this fraction of the median layer's is (near-)zero and its
            gradient is left out of the ``ratio_ceiling`` rule (default 1e-3; 0 keeps every layer).
        warmup: steps of history before the statistical rule may fire (default 20).
        early_ratio: the early rule's factor over the first-steps level (default 10; None disables it).
        early_steps: finite norms that make the first-steps level (default 3).
        beta: EMA decay (default 0.95).
        persistent_threshold: the seeds' "gradient norm above 1.0" rule; None (default) disables it.
        persistent_steps: consecutive steps for that rule (default 10).
    """

    def __init__(self, num_layers: int, *, z_threshold: float = 6.0, min_ratio: float = 5.0,
                 ceiling: float | None = 1e6, ratio_ceiling: float | None = 100.0, warmup: int = 20,
                 beta: float = 0.95, early_ratio: float | None = 10.0, early_steps: int = 3,
                 persistent_threshold: float | None = None, persistent_steps: int = 10,
                 zero_weight: float = 1e-3) -> None:
        self.z_threshold = positive("z_threshold", z_threshold)
        self.min_ratio = positive("min_ratio", min_ratio)
        self.ceiling = optional_positive("ceiling", ceiling)
        self.ratio_ceiling = optional_positive("ratio_ceiling", ratio_ceiling)
        self.warmup = at_least("warmup", warmup, 0)
        self.early_ratio = optional_positive("early_ratio", early_ratio)
        self.early_steps = at_least("early_steps", early_steps, 1)
        self.first_log_norms: list[float] = []  # log of the first early_steps finite, positive global norms
        self.first_log_ratios: list[float] = []  # log ||g|| / ||w|| at those steps (when the weights are > 0)
        self.first_losses: list[float] = []  # the finite losses of those steps
        if not 0 < beta < 1:
            from ..errors import ConfigError

            raise ConfigError("beta", beta, "a number strictly between 0 and 1")
        self.persistent_threshold = optional_positive("persistent_threshold", persistent_threshold)
        self.persistent_steps = at_least("persistent_steps", persistent_steps, 1)
        self.zero_weight = at_least_zero("zero_weight", zero_weight)
        self.history = LogEMA(1 + num_layers, beta=beta)
        self._mask = np.ones(1 + num_layers, dtype=bool)
        # preallocated buffers of the per-step path: [global, layers...] logs, two scratch rows (no allocations)
        self._lx = np.empty(1 + num_layers)
        self._lx_layers = self._lx[1:]
        self._t1 = np.empty(1 + num_layers)
        self._t2 = np.empty(1 + num_layers)
        self._ones = np.ones(1 + num_layers)
        self.normalized = False  # the optimizer normalises its step (set_optimizer); False: SGD-like or unknown
        self.loss_terms = 1  # the terms the loss sums (set_loss_terms; 1: a mean or unknown)
        self._has: np.ndarray | None = None  # the latest layer_has_grad seen and whether it was all True
        self._has_all = False
        self.above = 0
        self.firing = 0

    def __call__(self, stats: StepStats, layer_names: list[str]) -> list[Event]:
        if not math.isfinite(stats.grad_norm):
            return []  # the nonfinite detector's business; keep the history clean
        log_norms = self._lx  # the logs of [global, layers...], in place; one log over the whole row
        log_norms[0] = stats.grad_norm
        self._lx_layers[...] = stats.layer_grad_norm
        if np.count_nonzero(log_norms) == log_norms.size:  # no zero norm: the log cannot warn
            np.log(log_norms, out=log_norms)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                np.log(log_norms, out=log_norms)
        h = self.history
        ready = h.count[0] >= self.warmup
        rules: list[str] = []
        if ready and stats.grad_norm > 0:  # the global rule in scalars; per-layer figures only on an alarm
            d0 = math.log(stats.grad_norm) - float(h.mean[0])
            if d0 / max(math.sqrt(float(h.var[0])), h.min_std) > self.z_threshold and math.exp(d0) > self.min_ratio:
                rules.append("statistical")
        elif not ready and self.early_ratio is not None and self.first_log_norms and stats.grad_norm > 0:
            level = sum(self.first_log_norms) / len(self.first_log_norms)
            if (math.log(stats.grad_norm) - level > math.log(self.early_ratio) and not self._leaving_zero(stats)
                    and not (self.normalized and self._loss_not_rising(stats))):
                rules.append("early")
        if self.ceiling is not None and stats.grad_norm > self.ceiling:
            rules.append("ceiling")
        weight_norm = stats.weight_norm
        to_weights = stats.grad_norm / weight_norm if weight_norm > 0 else math.inf
        if self.ratio_ceiling is not None and to_weights > self.ratio_ceiling:
            to_weights = self._ratio_without_zero_weights(stats)  # only on an alarm: not on the per-step path
            if to_weights > self._ratio_limit() and not self._grew_into_ceiling(stats):
                rules.append("ratio_ceiling")
        if self.persistent_threshold is not None:
            self.above = self.above + 1 if stats.grad_norm > self.persistent_threshold else 0
            if self.above >= self.persistent_steps:
                rules.append("persistent")

        if not rules:
            self.firing = 0
            self._fold(log_norms, stats)
            if len(self.first_log_norms) < self.early_steps and stats.grad_norm > 0:
                self.first_log_norms.append(math.log(stats.grad_norm))
                if stats.weight_norm > 0 and math.isfinite(stats.weight_norm):
                    self.first_log_ratios.append(math.log(stats.grad_norm / stats.weight_norm))
                if stats.loss is not None and math.isfinite(stats.loss):
                    self.first_losses.append(float(stats.loss))
            return []
        z, ratio = h.z_and_ratio(log_norms)  # against the history before this step
        self._fold(log_norms, stats)
        self.firing += 1
        if self.firing & (self.firing - 1):  # not a power of two: stay quiet within an episode
            return []
        lz, lr = z[1:], ratio[1:]
        risen = np.flatnonzero((lz > self.z_threshold / 2) & (lr > self.min_ratio))
        if risen.size == 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = stats.layer_grad_norm / stats.layer_weight_norm
            rel = np.where(np.isfinite(rel), rel, -np.inf)
            risen = np.sort(np.argsort(-rel)[: min(3, len(rel))])
        evidence: dict[str, Any] = {
            "rules": rules, "grad_norm": stats.grad_norm,
            "history_geomean": float(math.exp(self.history.mean[0])) if self.history.count[0] else None,
            "first_steps_geomean": (float(math.exp(sum(self.first_log_norms) / len(self.first_log_norms)))
                                    if self.first_log_norms else None), "early_ratio": self.early_ratio,
            "z": _f(z[0]), "ratio": _f(ratio[0]), "z_threshold": self.z_threshold, "min_ratio": self.min_ratio,
            "ceiling": self.ceiling, "grad_to_weight": to_weights, "ratio_ceiling": self.ratio_ceiling,
            "consecutive": self.firing,
            "layers": {layer_names[i]: {"grad_norm": _f(stats.layer_grad_norm[i]), "z": _f(lz[i]),
                                        "ratio": _f(lr[i])} for i in risen},
        }
        if "persistent" in rules:
            evidence["persistent"] = {"threshold": self.persistent_threshold, "steps": self.above}
        soft = set(rules) <= {"statistical", "early"}
        # a soft rule's first firing step is information: a single-step spike that falls back (RetNet's x10 at
        # one step, loss unaffected) is what clipping is for; the second consecutive step makes it a warning
        severity = ("info" if self.firing == 1 else "warning") if soft else "critical"
        return [Event(step=stats.step, kind="explode", severity=severity,
                      message=f"gradient norm {stats.grad_norm:.3g} ({', '.join(rules)}); starts in "
                              f"{', '.join(layer_names[i] for i in risen[:3])}",
                      layers=tuple(layer_names[i] for i in risen), evidence=evidence)]

    def set_optimizer(self, optimizer: Any) -> None:
        """Called once by the guard with the optimizer it steps (see the class docstring)."""
        from ..mitigation.adaptive import normalizes_step

        self.normalized = normalizes_step(optimizer)

    def set_loss_terms(self, terms: int) -> None:
        """Called by the guard once, with the number of terms its loss sums (:func:`gradguard.reduction.summed_terms`;
        1 for a mean): see the class docstring."""
        self.loss_terms = max(1, int(terms))

    def _ratio_limit(self) -> float:
        """The ratio ceiling for this run: under a normalising optimizer, times the terms a summed loss adds up
        (the ratio of the mean loss's gradient is then judged; the step's size does not follow the gradient's)."""
        assert self.ratio_ceiling is not None
        return self.ratio_ceiling * (self.loss_terms if self.normalized else 1)

    def _loss_falling(self, stats: StepStats) -> bool:
        """The loss is finite and below the mean of the first steps' losses (False when either is unknown)."""
        if not self.first_losses or stats.loss is None or not math.isfinite(stats.loss):
            return False
        return stats.loss < self._first_level()

    def _first_level(self) -> float:
        """The mean of the first steps' losses (``first_losses`` is not empty)."""
        return sum(self.first_losses) / len(self.first_losses)

    def _loss_not_rising(self, stats: StepStats) -> bool:
        """The early rule's test under a normalising optimizer: the loss is not ``EARLY_RISE`` above its first steps'
        level (False when either is unknown; see the class docstring)."""
        if not self.first_losses or stats.loss is None or not math.isfinite(stats.loss):
            return False
        level = self._first_level()
        return stats.loss <= level + EARLY_RISE * abs(level)

    def _grew_into_ceiling(self, stats: StepStats) -> bool:
        """Under a normalising optimizer, the ratio grew into the ceiling from a tenth of it or less while the loss
        fell below its first steps' level (see the class docstring)."""
        if not (self.normalized and self.first_log_ratios and self.ratio_ceiling is not None):
            return False
        start = sum(self.first_log_ratios) / len(self.first_log_ratios)
        return start < math.log(self.ratio_ceiling / 10) and self._loss_falling(stats)

    def _leaving_zero(self, stats: StepStats) -> bool:
        """The early rule's exception: the gradient grew with the weights while the loss fell (see the class
        docstring); False whenever a figure it needs is missing."""
        if self.early_ratio is None or not self.first_log_ratios or not self.first_losses or stats.loss is None:
            return False
        if not (math.isfinite(stats.loss) and stats.weight_norm > 0 and math.isfinite(stats.weight_norm)):
            return False
        ratio_level = sum(self.first_log_ratios) / len(self.first_log_ratios)
        grew = math.log(stats.grad_norm / stats.weight_norm) - ratio_level
        return self._loss_falling(stats) and grew < 0.5 * math.log(self.early_ratio)

    def _ratio_without_zero_weights(self, stats: StepStats) -> float:
        """||g|| / ||w|| over the layers whose weights are not (near-)zero (see ``zero_weight``)."""
        w = np.asarray(stats.layer_weight_norm, dtype=float)
        g = np.asarray(stats.layer_grad_norm, dtype=float)
        live = np.isfinite(w) & (w > 0)
        if not live.any() and not stats.weight_norm > 0:
            return 0.0  # every weight is zero (makemore's Bigram logits table): no weight to compare the gradient with
        if self.zero_weight <= 0 or not live.any() or not stats.weight_norm > 0:
            return stats.grad_norm / stats.weight_norm if stats.weight_norm > 0 else math.inf
        zero = ~live | (w < self.zero_weight * float(np.median(w[live])))
        if not zero.any():
            return stats.grad_norm / stats.weight_norm
        kept = float(np.sqrt(np.nansum(np.where(zero, 0.0, g) ** 2)))
        return kept / stats.weight_norm

    def _fold(self, log_norms: np.ndarray, stats: StepStats) -> None:
        """Winsorised update: an outlier enters the history at the threshold, not at its own value.

        ``log_norms`` (the detector's own buffer) is overwritten. The common case (every key seen, every layer
        with a finite gradient) runs in place on preallocated rows, the same operations in the same order as
        :meth:`LogEMA.update` (bit-identical); the rest goes through it.
        """
        h = self.history
        has = stats.layer_has_grad
        if has is not self._has:  # the collector hands the same read-only array while the step's layout stays
            self._has, self._has_all = (None if has.flags.writeable else has), bool(np.all(has))
        t1, t2 = self._t1, self._t2
        if self._has_all and h._all_seen and math.isfinite(np.dot(log_norms, self._ones)):
            if h.count[0] >= self.warmup:  # min(lx, mean + z * max(sqrt(var), min_std))
                np.sqrt(h.var, out=t1)
                np.maximum(t1, h.min_std, out=t1)
                np.multiply(t1, self.z_threshold, out=t1)
                np.add(h.mean, t1, out=t1)
                np.minimum(log_norms, t1, out=log_norms)
            b = h.beta
            np.subtract(log_norms, h.mean, out=t2)  # d
            np.multiply(t2, 1 - b, out=t1)  # (1 - b) * d
            np.add(h.mean, t1, out=h.mean)
            np.multiply(t1, t2, out=t1)  # (1 - b) * d * d
            np.add(h.var, t1, out=t1)
            np.multiply(t1, b, out=h.var)
            np.add(h.count, 1, out=h.count)
            return
        if h.count[0] >= self.warmup:
            log_norms = np.minimum(log_norms, h.mean + self.z_threshold * h.std())
        self._mask[1:] = has
        h.update(log_norms, mask=self._mask)

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history.state_dict(), "above": self.above, "firing": self.firing,
                "first_log_norms": list(self.first_log_norms), "first_log_ratios": list(self.first_log_ratios),
                "first_losses": list(self.first_losses)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history.load_state_dict(state["history"])
        self.above = int(state["above"])
        self.firing = int(state["firing"])
        self.first_log_norms = [float(v) for v in state.get("first_log_norms", [])]
        self.first_log_ratios = [float(v) for v in state.get("first_log_ratios", [])]
        self.first_losses = [float(v) for v in state.get("first_losses", [])]


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
