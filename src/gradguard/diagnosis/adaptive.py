"""What an adaptive optimizer's step makes harmless (issue 12).

Adam, RMSprop, Adagrad and their family move every element by about the learning rate whatever the gradient's
scale, so two readings made for SGD say less under them: a gradient that shrinks across layers (the first layers
still move as far as the last) and weights initialised too small (the first steps bring them to scale). Both
functions run on the findings of one check when the optimizer is of that family (``stepsize.optimizer_family``).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .findings import Finding

__all__ = ["KEPT_SIGNAL_DECADES", "TRANSIENT_STEPS", "excuse_missing_norm", "transient_small_weights"]

#: a forward drift under this many decades across a depth finding's layers: the signal kept its scale
KEPT_SIGNAL_DECADES = 0.3
#: under an Adam-family optimizer, weights whose median std is at most this many times the lr reach their own scale
#: within about that many steps (each step moves every element by about lr): a shrink they make is transient
TRANSIENT_STEPS = 10.0


def transient_small_weights(findings: list[Finding], probe: Any, optimizer: torch.optim.Optimizer,
                             lrs: list[float] | None) -> None:
    """Under the Adam family a too-small init is repaired by the first steps when the weights' median std is within
    ``TRANSIENT_STEPS`` times the learning rate: a ``depth`` or too-small ``init`` shrink measured on them is
    information (fresh45's IM-NET decoder at N(0, 0.02) under Adam 3e-3: 4.8 decades at step 0, 7 steps of Adam
    from its scale; it learns). Not in a plain stack past the series depth (``plain_stack.SERIES_WARN``): GCNII's
    32 plain GCN layers under Adam 0.01 sit 7 steps from their scale too, and do not learn."""
    if any("weight_layers_in_series" in f.evidence for f in findings):
        return  # a stack past the series depth: the optimizer repairs a scale, not a depth (fresh15's 32-layer GCN)
    group_lrs = lrs or [float(g.get("lr", 0.0)) for g in optimizer.param_groups]
    lr = sorted(group_lrs)[len(group_lrs) // 2] if group_lrs else 0.0
    stds = sorted(float(p.detach().float().std()) for p in probe.params.values()
                  if p.requires_grad and p.dim() >= 2 and p.numel() > 1)
    if not lr > 0 or not stds:
        return
    median = stds[len(stds) // 2]
    if median > TRANSIENT_STEPS * lr:
        return
    for f in findings:
        if f.cause in ("depth", "init") and f.severity in ("warning", "critical") and \
                f.direction == -1 and "zero_weight_matrices" not in f.evidence and \
                not f.evidence.get("all_zero"):
            f.severity = "info"
            f.evidence["steps_to_own_scale"] = round(median / lr, 2)
            f.message += (f" Left as information: under this optimizer each step moves every weight by about the "
                          f"learning rate ({lr:.3g}), and the weights' median std is {median:.3g}, so the first "
                          f"{median / lr:.0f} steps bring them to their own scale.")


def excuse_missing_norm(findings: list[Finding]) -> None:
    """Under an adaptive optimizer (Adam, RMSprop, Adagrad: a per-element step about ``lr`` whatever the gradient's
    scale) a stack with nothing normalising whose gradient shrinks by less than ``init_check.INIT_CRIT`` decades at
    a library's default init (or unexplained: depth.py's plain-stack reading), or whose ReLU units die partly along
    it, still moves its first layers as far as its last: those warnings are information. Every such warning on the
    corpus' broken cases came under SGD (MobileNet, RegNet, ReplKNet, DPN without BatchNorm); under Adam they came
    only on healthy models (fresh45's FoldingNet, 12 layers, 2.9 decades; fresh6's N-BEATS, ReLUs up to 52% dead;
    fresh40's ANP, 14 layers, 2.8 decades). Critical ones stay (ConvMixer without BatchNorm under AdamW: 4.3-5.2
    decades; excusing them too turned those 4 cases healthy, and FoldingNet at seed 1, 3.1 decades, stays a critical
    false alarm). A ``depth`` shrink of the gradient alone, the signal kept within ``KEPT_SIGNAL_DECADES`` across
    the same layers, is information too (fresh48's attention RNN: BatchNorm'd convolutions, a BiLSTM and attention,
    3.6 decades of gradient, 0.04 of signal, learns at Adam 1e-3)."""
    for f in findings:
        forward = f.evidence.get("forward_drift_last_to_first")
        if f.cause == "depth" and f.severity != "info" and f.direction < 0 and isinstance(forward, int | float) and \
                forward > 0 and abs(math.log10(forward)) < KEPT_SIGNAL_DECADES:
            f.severity = "info"
            f.evidence["adaptive_optimizer"] = True
            f.message += (" Left as information: the signal keeps its scale through these layers, only the "
                          "gradient's shrinks, and the optimizer's per-element step does not shrink with it.")
            continue
        if f.cause != "normalization" or f.severity != "warning":
            continue
        default = bool(f.evidence.get("framework_default_init"))
        drift = "dead_fraction" in f.evidence and "unnormalised_weight_layers" in f.evidence
        shrink = f.evidence.get("normalization_layers") == 0 and f.direction < 0
        if default or drift or shrink:
            f.severity = "info"
            f.evidence["adaptive_optimizer"] = True
            f.message += (" Left as information: the optimizer's per-element step does not shrink with the "
                          "gradient, so the first layers move as far as the last.")
