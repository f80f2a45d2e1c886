"""The pre-flight check: probe one real batch, measure, attribute, rank."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .activations import activation_findings
from .depth import depth_findings
from .findings import Diagnosis, DiagnosisError, Finding
from .init_check import init_findings
from .numeric import data_findings, numeric_findings
from .optim_check import lr_findings, regularization_findings
from .probe import run_probe
from .propagation import analyse_propagation
from .recurrence import recurrence_findings

__all__ = ["check", "diagnose_step"]

LossFn = Callable[[Any, Any], torch.Tensor]


def check(model: nn.Module, batch: Any, loss_fn: LossFn, optimizer: torch.optim.Optimizer | None = None) -> Diagnosis:
    """Diagnose the causes of exploding/vanishing gradients before (or during) training, on one real batch.

    Cost: one forward and one backward pass of ``batch`` (plus one optimizer step on a copy when ``optimizer`` is
    given), reported in ``Diagnosis.cost``. Side-effect free: weights, buffers, training modes, ``.grad``, the
    optimizer's state and the global RNG states are as they were.

    Args:
        model: the model to check.
        batch: ``(inputs, targets)``; ``loss_fn(model(inputs), targets)`` must be the scalar loss.
        loss_fn: the training loss.
        optimizer: optional; enables the learning-rate and regularisation checks.

    Returns:
        A :class:`Diagnosis` with findings ranked by how much of the measured trouble they explain.

    Raises:
        DiagnosisError: bad batch, model without parameters, model or loss failing on the batch, non-scalar loss.

    Example::

        d = check(model, (x, y), torch.nn.functional.cross_entropy, optimizer)
        print(d)
        if not d.healthy:
            fix(model, d)
    """
    probe = run_probe(model, batch, loss_fn)
    cost = dict(probe.cost)
    notes: list[str] = []
    findings: list[Finding] = []
    findings += data_findings(probe)
    findings += numeric_findings(probe)
    prop = analyse_propagation(probe)
    measured = prop.measured
    init_found, init_explained = init_findings(probe, prop)
    act_found, act_explained = activation_findings(probe, prop, measured)
    findings += init_found + act_found
    findings += depth_findings(probe, prop, init_explained + act_explained)
    findings += recurrence_findings(probe)
    if optimizer is not None:
        try:
            findings += lr_findings(probe, optimizer)
            cost["optimizer_step"] = 1
        except Exception as exc:  # a custom optimizer may not step on a copy (closure-based, e.g. LBFGS)
            notes.append(f"lr check skipped: a copy of {type(optimizer).__name__} could not step ({exc})")
        findings += regularization_findings(probe, optimizer)
    else:
        notes.append("lr and regularization checks need the optimizer")
    if len(prop.chain) < 2:
        notes.append("fewer than 2 weight layers in the forward chain: no depth profile")
    return Diagnosis(findings=findings, cost=cost, notes=notes, profile=prop.profile())


def diagnose_step(model: nn.Module, batch: Any, loss_fn: LossFn,
                  optimizer: torch.optim.Optimizer | None = None) -> list[Finding]:
    """The ranked findings of :func:`check` (what the Guard calls when an event fires)."""
    return check(model, batch, loss_fn, optimizer).findings


__all__ += ["DiagnosisError"]
