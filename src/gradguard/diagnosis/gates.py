"""Counterfactuals on a copy: zero gates opened (:func:`open_zero_gates`) and inputs brought to unit scale
(:func:`nonfinite_at_unit_scale`).

Zero gates, tested: do the parameters without a gradient get one once the model's zero parameters open?

:func:`.slips.no_gradient_findings` names ``activation`` when most parameters get no gradient at all, and excuses a
learning all-zero parameter that gates a residual branch (ReZero's ``alpha``) only when the first weight layer the
forward ran still gets a gradient (a ``torch.sign`` before every gate cuts everything, and no gate excuses that). A
model whose first layers feed only gated paths fails that guard by construction: PirateNet (Wang et al. 2024) computes
its gate inputs ``u``, ``v`` first and starts every block's ``alpha`` at 0, so 99.8% of its parameters wait for
``alpha`` to move (fresh58, healthy, told ``activation`` critical ×2).

The test is a counterfactual on a copy: every all-zero parameter that is not a bias and gets a gradient of its own
is set to :data:`OPEN_VALUE`, the step is run once more, and if at least :data:`OPENED_SHARE` of the elements that got
no gradient now get one, the zero gates are what held them: the finding drops to ``info``. A threshold, a ``detach``
or dead units before the gates stay cut on the copy, and the finding stands. Cost: one copy of the model and one
forward and backward, only when such a finding and such a parameter are both there.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .batch import loss_without_grad
from .findings import Finding
from .shortrun import reset_to_default, standardise_inputs

__all__ = ["OPENED_SHARE", "OPEN_VALUE", "finite_at_default_init", "nonfinite_at_unit_scale", "open_zero_gates"]

#: the value the copy's zero gates are set to (a gate's first steps move it by about the lr: 1e-3 .. 1e-2)
OPEN_VALUE = 0.1
#: the share of the cut elements that must get a gradient on the copy for the gates to explain the cut
OPENED_SHARE = 0.9


def _owner(name: str) -> str:
    """The module owning parameter ``name`` (``""`` for the model's own)."""
    return name.rsplit(".", 1)[0] if "." in name else ""


def _gates(probe: Any) -> list[str]:
    """Names of the all-zero parameters, biases aside, whose own gradient is not all zero."""
    out = []
    for name, p in probe.params.items():
        if name.rsplit(".", 1)[-1].startswith("bias") or p.numel() == 0 or bool(p.detach().any()):
            continue
        g = probe.param_grads.get(name)
        if g is not None and g.layout == torch.strided and bool(g.any()):
            out.append(name)
    return out


def open_zero_gates(findings: list[Finding], model: nn.Module, run: Any, probe: Any) -> None:
    """Demote (in place) a critical no-gradient ``activation`` finding that the model's zero gates explain (see the
    module docstring); anything failing on the copy leaves the findings as they are."""
    target = next((f for f in findings if f.cause == "activation" and f.severity == "critical"
                   and "no_gradient_share" in f.evidence), None)
    if target is None:
        return
    gates = _gates(probe)
    if not gates:
        return
    called = set(probe.call_counts)
    cut = [n for n, p in probe.params.items() if p.requires_grad and n in probe.param_grads
           and _owner(n) in called
           and (probe.param_grads[n] is None or not bool(probe.param_grads[n].any()))]  # type: ignore[union-attr]
    if not cut:
        return
    try:
        twin = copy.deepcopy(model)
        named = dict(twin.named_parameters())
        with torch.no_grad():
            for n in gates:
                named[n].fill_(OPEN_VALUE)
        loss = run(twin)
        cut = [n for n in cut if n in named]
        params = [named[n] for n in cut]
        grads = torch.autograd.grad(loss.reshape(()), params, allow_unused=True)
    except Exception:  # the copy cannot be made or run: the finding stands
        return
    total = sum(p.numel() for p in params)
    opened = sum(p.numel() for p, g in zip(params, grads, strict=True) if g is not None and bool(g.any()))
    if total == 0 or opened < OPENED_SHARE * total:
        return
    # ... and no layer stays cut whole: a threshold before every gate (a sign after the input layer) leaves that
    # layer without a gradient however open the gates are (tests/test_session30_rules.py's ReZero behind a sign:
    # 99% of the cut elements open, the input layer's none)
    still: dict[str, bool] = {}
    for n, g in zip(cut, grads, strict=True):
        still[_owner(n)] = still.get(_owner(n), True) and (g is None or not bool(g.any()))
    if any(still.values()):
        return
    target.severity = "info"
    target.score = min(target.score, 0.1)
    target.evidence["opened_by_zero_gates"] = {"gates": gates[:8], "opened_share": round(opened / total, 4),
                                               "open_value": OPEN_VALUE}
    target.message = (f"Held by zero gates, by design: with {', '.join(gates[:3])}{' ...' if len(gates) > 3 else ''} "
                      f"(all zeros, learning) set to {OPEN_VALUE:g} on a copy, {opened / total:.0%} of the "
                      "parameters without a gradient get one; they wait for the gates to open. " + target.message)


def nonfinite_at_unit_scale(findings: list[Finding], model: nn.Module, run: Any) -> None:
    """Mark (``evidence["nonfinite_at_unit_scale"] = True``) a module-level ``numeric`` finding whose module still
    turns finite inputs into NaN/Inf when the model's floating-point inputs are standardised (on a copy, per feature,
    as the confirmation's ``data`` remedy does): the out-of-scale inputs that a ``data`` finding names do not explain
    it, and :func:`.explain.explain` leaves it first. A 0/0 stays NaN at any scale (fresh59's RLinear whose RevIN
    divides by a standard deviation with eps 0, on a flat sensor: told ``data`` first, the NaN its consequence);
    an ``exp`` of raw-scale inputs does not. Runs only when a strong ``data`` scale finding and such a ``numeric``
    one are both there: one copy and one forward without autograd."""
    numeric = next((f for f in findings if f.cause == "numeric" and f.severity != "info"
                    and "inputs_finite" in f.evidence), None)
    scaled = any(f.cause == "data" and f.severity != "info" and "decades_off_unit_scale" in f.evidence
                 for f in findings)
    if numeric is None or not scaled:
        return
    try:
        twin = copy.deepcopy(model)
        standardise_inputs(twin)
        loss = loss_without_grad(run, twin)
    except Exception:  # the copy cannot be made or run: the reading stands as it was
        return
    if not bool(torch.isfinite(loss).all()):
        numeric.evidence["nonfinite_at_unit_scale"] = True


def finite_at_default_init(findings: list[Finding], model: nn.Module, run: Any) -> None:
    """Mark (``evidence["finite_at_default_init"] = True``) a model-wide too-large ``init`` finding whose model's
    forward overflows (a module-level ``numeric`` finding on finite inputs) when, on a copy with every module's own
    ``reset_parameters()`` (the library's default init), the loss comes out finite: the init is what overflows, and
    :func:`.explain.explain` makes the overflow its consequence (fresh66's Deep Ritz at N(0, 1)). A float16 softmax
    written by hand stays ``numeric`` (the held-out half's ``fp16_softmax_overflow``, its three weights drawn at 2x He
    to push its logits past ln 65504): a forward that makes any 16-bit float tensor is left alone. One copy and one
    forward without autograd, only when both findings are there."""
    wide = next((f for f in findings if f.cause == "init" and "model_wide" in f.evidence and f.direction > 0
                 and f.evidence.get("measured_decades") is None), None)
    overflow = any(f.cause == "numeric" and f.severity != "info" and f.evidence.get("inputs_finite")
                   and f.evidence.get("output_finite") is False for f in findings)
    if wide is None or not overflow:
        return
    try:
        twin = copy.deepcopy(model)
        reset = reset_to_default(twin)
        watch = _LowPrecision()
        with watch:
            loss = loss_without_grad(run, twin) if reset else None
    except Exception:  # the copy cannot be made, reset or run: the reading stands as it was
        return
    if loss is not None and bool(torch.isfinite(loss).all()) and not watch.seen:
        wide.evidence["finite_at_default_init"] = True


class _LowPrecision(TorchFunctionMode):
    """Notes whether any op of the forward it watches makes a 16-bit float tensor (a cast by hand to float16 or
    bfloat16: an overflow there is the precision's, 65504 in float16, whatever the init)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor) and out.dtype in (torch.float16, torch.bfloat16):
            self.seen = True
        return out

