"""A diagnosis when the step itself fails on the values it should diagnose.

A loss function that checks its input raises on NaN: pytorch/examples' VAE with every weight N(0, 1) overflows
``exp(0.5 * logvar)``, its decoder outputs NaN and ``binary_cross_entropy`` raises "all elements of input should be
between 0 and 1". The script crashes at step 0, and ``check`` used to crash the same way (``DiagnosisError``) instead
of saying why. When the step fails, the forward is run again under hooks up to the failure: if a module's output is
non-finite there, the failure is that value's: ``data`` when the batch itself holds it (the model's inputs or the
targets: a NaN record under a ``BCELoss``, which raises where ``MSELoss`` returns NaN; yunjey/pytorch-tutorial's VAE
and GAN with one NaN pixel were told ``numeric``, "fc1 is the first module whose output is non-finite"), with
:mod:`.numeric`'s rule for many NaN values (a preprocessing formula made them: ``numeric`` first); else the finding
names the first module whose output is non-finite — ``init`` when most of
the model's weight layers are initialised well above ``1 / sqrt(fan_in)`` (more than ``OFF_FACTOR`` times), else
``numeric`` (that module turns finite values into NaN/Inf). A failure with every output finite (a shape mismatch, a
wrong argument) is not diagnosed: the error stands.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .batch import StepSpec, input_stats, tensors
from .findings import Diagnosis, DiagnosisError, Finding
from .init_check import OFF_FACTOR
from .numeric import nonfinite_batch_findings
from .snapshot import StateSnapshot

__all__ = ["failed_forward_diagnosis"]


def _nonfinite(obj: Any) -> tuple[int, list[list[int]]]:
    """The NaN/Inf values in the floating tensors of ``obj``, counted as the step that runs counts them
    (:func:`.batch.input_stats`), and the shapes of the tensors that hold any."""
    stats = input_stats(tensors(obj))
    return sum(s.nonfinite for s in stats), [list(s.shape) for s in stats if s.nonfinite]


def failed_forward_diagnosis(model: nn.Module, step: StepSpec, exc: DiagnosisError) -> Diagnosis | None:
    """A :class:`Diagnosis` of a step that raised ``exc`` on a non-finite value of the forward; None otherwise."""
    text = str(exc)
    if " failed" not in text or text.startswith("backward"):
        return None
    names = {m: n or "<root>" for n, m in model.named_modules()}
    outputs: list[tuple[str, bool]] = []
    root_in: list[Any] = []  # what the model was called with first (a closure's batch is known only here)

    def pre(module: nn.Module, args: Any, kwargs: Any) -> None:
        if not root_in:
            root_in.append((args, kwargs))

    def post(module: nn.Module, args: Any, out: Any) -> None:
        ts = [t for t in tensors(out) if t.is_floating_point()]
        if ts:
            outputs.append((names.get(module, "?"), all(bool(torch.isfinite(t).all()) for t in ts)))

    snapshot = StateSnapshot(model)
    handles = [m.register_forward_hook(post) for m in model.modules()]
    handles.append(model.register_forward_pre_hook(pre, with_kwargs=True))
    try:
        with torch.no_grad():
            try:
                step.run(model)
            except Exception:  # the failure being diagnosed: the outputs up to it are recorded
                pass
    finally:
        for h in handles:
            h.remove()
        snapshot.restore()
    error = text.split(": ", 1)[-1][:200]
    made, shapes = _nonfinite(step.inputs if step.inputs is not None else root_in)
    in_targets, _ = _nonfinite(step.targets)
    if made or in_targets:
        where = [w for w, n in (("inputs", made), ("targets", in_targets)) if n]
        return Diagnosis(findings=nonfinite_batch_findings(where, made, shapes, f"; the step fails on them ({error})"),
                         cost={"forward": 2},
                         notes=[f"the step raised ({text[:160]}): the batch holds NaN/Inf values"])
    bad = next((name for name, finite in outputs if not finite), None)
    if bad is None:
        return None
    factors = {}
    for name, m in model.named_modules():
        w = getattr(m, "weight", None)
        if isinstance(w, torch.Tensor) and w.dim() >= 2 and w.numel() > 1 and not isinstance(m, nn.Embedding):
            fan_in = w[0].numel()
            factors[name or "<root>"] = float(w.detach().float().std()) * math.sqrt(fan_in)
    large = {n: f for n, f in factors.items() if f > OFF_FACTOR}
    if factors and 2 * len(large) > len(factors):
        gm = math.exp(sum(math.log(f) for f in large.values()) / len(large))
        finding = Finding(
            cause="init", layers=sorted(large), severity="critical", confidence=0.7,
            evidence={"first_nonfinite_output": bad, "weight_std_times_sqrt_fan_in": {k: round(v, 3) for k, v in
                                                                                     large.items()},
                      "weight_layers": len(factors), "step_error": error},
            message=(f"The step fails ({error}) on a NaN/Inf that the forward makes: {bad}'s output is the first "
                     f"non-finite one, and {len(large)} of the model's {len(factors)} weight layers are initialised "
                     f"about {gm:.3g}x larger than 1/sqrt(fan_in)."),
            prescription=("Re-initialise the weights with the scheme each layer's activation wants (Xavier for "
                          "tanh/sigmoid, He for ReLU; PyTorch's default init for Linear/Conv is safe)."),
            code="for m in model.modules():\n    if hasattr(m, 'reset_parameters'):\n        m.reset_parameters()",
            score=3.0,
        )
    else:
        finding = Finding(
            cause="numeric", layers=[bad], severity="critical", confidence=0.6,
            evidence={"first_nonfinite_output": bad, "step_error": error},
            message=(f"The step fails ({error}) on a NaN/Inf that the forward makes: {bad} is the first module "
                     "whose output is non-finite (an overflowing exp, a log or division of 0, a sqrt of a "
                     "negative number)."),
            prescription=("Guard the operation that overflows in or just before it (clamp the argument of exp, add "
                          "an eps to log/division/sqrt)."),
            code="",
            score=2.0,
        )
    return Diagnosis(findings=[finding], cost={"forward": 2},
                     notes=[f"the step raised ({text[:160]}): diagnosed from the forward up to the failure"])
