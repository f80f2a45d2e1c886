"""A user's ``torch.autograd.Function`` whose backward disagrees with its own forward.

A hand-written backward is code nobody tests: it returns the gradients in another order than ``forward``'s
arguments, drops ``grad_output``, masks the wrong side of a ReLU or flips a surrogate's sign, and training goes on
along a direction that is not the loss's (held-out ``fresh115``: a dynamic filter network's filtering Function with
its two gradients swapped, an LSNN's spike whose pseudo-derivative is negative; ``fresh56``'s ReLU with its mask
flipped; ``fresh63``'s SiLU backward without ``grad_output``). ``torch.autograd.gradcheck`` would catch each, and is
rarely run. Here every Function class of the user's (not torch's own) that the loss's graph holds is tested on the
inputs of its first call on the batch, as ``gradcheck`` does (in float64 where the Function runs in it; in the inputs'
own dtype otherwise, never in half precision) but along random directions:

* the backward's directional derivative ``<J^T v, u>`` for ``DIRECTIONS`` random pairs (tangent ``u`` scaled to each
  input's RMS, cotangent ``v``), against the forward's central difference ``<v, f(x + eps u) - f(x - eps u)> / 2eps``;
* a forward that returns one of its inputs unchanged (a gradient-reversal layer, a gradient clip) or a backward that
  returns no gradient at all is there to shape the gradient, and is not judged;
* a forward is **smooth** where the differences at ``EPS`` and ``EPS / 4`` agree within ``SMOOTH_AGREE``; there the
  two sets of derivatives must correlate (cosine over the directions) at ``COS_MIN`` or more in absolute value: a
  backward that is a fixed multiple of the true one, negative included, is a deliberate scaling (a gradient-reversal
  layer at any coefficient) and is not judged;
* a **step-like** forward (a spike, a rounding: the differences do not settle) is what surrogate and straight-through
  gradients stand in for; there only the sign is judged, on the outputs of the inputs' shape, with ``u = v`` so that
  a non-negative pseudo-derivative gives ``<J^T v, v> >= 0``, against the coarse difference at ``COARSE_EPS`` (how
  the step changes when its input moves up): opposite signs in every one of the directions is a flipped surrogate.

``activation`` (critical): the corpus labels a layer's wrong derivative so, and the finding says which Function.
Cost: one forward without grad with the Functions' ``forward`` recorded (the model's state put back after), and
``~4 x DIRECTIONS`` calls of each Function.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .findings import Finding
from .snapshot import StateSnapshot

__all__ = ["COARSE_EPS", "COS_MIN", "DIRECTIONS", "EPS", "MAX_CLASSES", "SMOOTH_AGREE", "custom_functions",
           "custom_gradient_findings"]

#: random direction pairs per Function
DIRECTIONS = 8
#: the finite difference's step (times each input's RMS) and the agreement that makes a forward smooth
EPS, SMOOTH_AGREE = 1e-3, 0.05
#: the |cosine| between the backward's and the forward's directional derivatives under which a backward is wrong
COS_MIN = 0.9
#: the coarse step (times the input's RMS) at which a step-like forward's change is read
COARSE_EPS = 0.3
#: user Function classes tested per check
MAX_CLASSES = 4
_COARSE = (torch.float16, torch.bfloat16)


def custom_functions(nodes: list[Any]) -> list[type]:
    """The user-defined ``torch.autograd.Function`` classes among the graph ``nodes`` (torch's own left out), in order
    of first appearance."""
    found: list[type] = []
    for node in nodes:
        cls = getattr(node, "_forward_cls", None)
        if isinstance(cls, type) and not cls.__module__.startswith("torch") and cls not in found:
            found.append(cls)
    return found


def _record_first_calls(model: nn.Module, run: Any, classes: list[type]) -> dict[type, tuple[tuple[Any, ...], dict]]:
    """Each class's first call's inputs (float tensors detached and copied) on a forward without grad. Recorded in
    ``forward``, which autograd looks up on the class at every call (a model may hold ``Fn.apply`` bound at init:
    ``fresh56``'s ``self.relu = FlippedReLU.apply``); the classes are restored after."""
    calls: dict[type, tuple[tuple[Any, ...], dict]] = {}
    saved = {cls: cls.__dict__.get("forward") for cls in classes}

    def recorder(cls: type, orig: Any) -> Any:
        # a forward without ctx when the class defines its own setup_context (the torch 2 style)
        ctx_first = getattr(cls, "setup_context", None) is getattr(torch.autograd.Function, "setup_context", None)

        def forward(*args: Any, **kwargs: Any) -> Any:
            if cls not in calls:
                inputs = args[1:] if ctx_first else args
                calls[cls] = (tuple(a.detach().clone() if isinstance(a, torch.Tensor) else a for a in inputs),
                              dict(kwargs))
            return orig(*args, **kwargs)
        return staticmethod(forward)

    snapshot = StateSnapshot(model)  # the forward runs on the model itself (no copy of a large one): its buffers,
    try:                               # modes and RNG states are put back after
        for cls in classes:
            cls.forward = recorder(cls, cls.forward)  # type: ignore[attr-defined]
        with torch.no_grad():
            run(model)
    except Exception:
        pass
    finally:
        snapshot.restore()
        for cls, orig in saved.items():
            if orig is None:
                try:
                    delattr(cls, "forward")
                except AttributeError:
                    pass
            else:
                cls.forward = orig  # type: ignore[attr-defined]
    return calls


def _outputs(out: Any) -> list[torch.Tensor]:
    items = out if isinstance(out, (tuple, list)) else (out,)
    return [t for t in items if isinstance(t, torch.Tensor) and t.is_floating_point()]


def _judge(cls: type, args: tuple[Any, ...], kwargs: dict) -> dict[str, Any] | None:
    """The measurements of one call, and what is wrong with its backward (``"wrong"``, ``"flipped"``), or None."""
    pos = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.is_floating_point() and a.numel()]
    if not pos:
        return None
    gen = torch.Generator().manual_seed(0)

    def call(xs: list[torch.Tensor]) -> list[torch.Tensor]:
        full = list(args)
        for i, x in zip(pos, xs, strict=True):
            full[i] = x
        return _outputs(cls.apply(*full, **kwargs))  # type: ignore[attr-defined]

    xs = [args[i] for i in pos]
    scales = [float(x.float().pow(2).mean().sqrt()) or 1.0 for x in xs]
    leaves = [x.detach().clone().requires_grad_(True) for x in xs]
    with torch.enable_grad():
        outs = call(leaves)
    if not outs or not all(bool(torch.isfinite(o).all()) for o in outs):
        return None
    trainable = [o for o in outs if o.requires_grad]
    if not trainable or (len(outs) == 1 and any(outs[0].shape == x.shape and torch.equal(outs[0], x) for x in xs)):
        return None  # an identity forward is there to shape the gradient (a reversal, a clip): deliberate

    def rand_like(t: torch.Tensor) -> torch.Tensor:
        return torch.randn(t.shape, generator=gen, dtype=torch.float32).to(t.dtype)

    def directional(us: list[torch.Tensor], vs: list[torch.Tensor]) -> tuple[float, float, float, float]:
        grads = torch.autograd.grad(trainable, leaves, [v for o, v in zip(outs, vs, strict=True) if o.requires_grad],
                                    retain_graph=True, allow_unused=True)
        back = sum(float((g.double() * u.double()).sum()) * sc for g, u, sc in zip(grads, us, scales, strict=True)
                   if g is not None)
        diffs = []
        for eps in (EPS, EPS / 4, COARSE_EPS):
            with torch.no_grad():
                up = call([x + eps * s * u for x, s, u in zip(xs, scales, us, strict=True)])
                down = call([x - eps * s * u for x, s, u in zip(xs, scales, us, strict=True)])
            diffs.append(sum(float((v.double() * (a.double() - b.double())).sum()) for v, a, b in
                             zip(vs, up, down, strict=True)) / (2 * eps))
        return back, diffs[0], diffs[1], diffs[2]

    # tangents in units of each input's RMS (the input moves by eps x RMS x u; the backward's derivative likewise)
    pairs = [directional([rand_like(x) for x in xs], [rand_like(o) for o in outs]) for _ in range(DIRECTIONS)]
    back = [p[0] for p in pairs]
    fine, finer = [p[1] for p in pairs], [p[2] for p in pairs]
    if not all(math.isfinite(v) for p in pairs for v in p):
        return None
    norm = math.sqrt(sum(f * f for f in fine))
    smooth = norm > 0 and math.sqrt(sum((a - b) ** 2 for a, b in zip(fine, finer, strict=True))) <= SMOOTH_AGREE * norm
    if smooth:
        nb = math.sqrt(sum(b * b for b in back))
        if nb == 0:  # no gradient at all: a stop-gradient by design (a zero reversal coefficient), not judged
            return None
        cos = sum(a * b for a, b in zip(back, fine, strict=True)) / (nb * norm)
        if abs(cos) >= COS_MIN:
            return None
        return {"function": cls.__name__, "forward": "smooth", "cosine": round(cos, 3), "directions": DIRECTIONS,
                "fault": "wrong"}
    # step-like: the sign of a surrogate along u = v, on the outputs of an input's shape
    same = [i for i, x in enumerate(xs) if len(outs) == 1 and outs[0].shape == x.shape]
    if not same:
        return None
    signs = []
    for _ in range(DIRECTIONS // 2):
        v = rand_like(outs[0])
        us = [v if i == same[0] else torch.zeros_like(x) for i, x in enumerate(xs)]
        b, _f, _ff, coarse = directional(us, [v])
        signs.append((b, coarse))
    if all(b < 0 < c for b, c in signs):
        return {"function": cls.__name__, "forward": "step-like", "directions": len(signs), "fault": "flipped",
                "backward_along_v": [float(f"{b:.3g}") for b, _ in signs],
                "coarse_difference": [float(f"{c:.3g}") for _, c in signs]}
    return None


def custom_gradient_findings(model: nn.Module, run: Any, classes: list[type]) -> list[Finding]:
    """``activation`` (critical) per user Function whose backward disagrees with its forward (see the module
    docstring); [] when the graph holds none (``classes`` from :func:`custom_functions`) or none can be tested."""
    if not classes:
        return []
    classes = classes[:MAX_CLASSES]
    found: list[Finding] = []
    for cls, (args, kwargs) in _record_first_calls(model, run, classes).items():
        verdict = None
        for dtype in (torch.float64, None):  # in double where the Function runs in it, as gradcheck does
            if dtype is None and any(isinstance(a, torch.Tensor) and a.dtype in _COARSE for a in args):
                break  # half precision's rounding is the size of any finite difference: no reading
            try:
                verdict = _judge(cls, tuple(a.to(dtype) if dtype is not None and isinstance(a, torch.Tensor)
                                            and a.is_floating_point() else a for a in args), kwargs)
                break
            except Exception:  # a Function that cannot be called again on copies of its inputs: no reading
                continue
        if verdict is None:
            continue
        name = verdict["function"]
        if verdict["fault"] == "flipped":
            what = (f"its forward is a step (a spike, a rounding), and the surrogate gradient its backward returns "
                    f"points the other way: moving the input up raises the output, but the backward says it lowers "
                    f"it ({verdict['directions']} of {verdict['directions']} random directions)")
        else:
            what = (f"along {verdict['directions']} random directions the change its forward makes (finite "
                    f"differences) and the one its backward claims correlate at {verdict['cosine']:.2f} (1.0 when "
                    "right): the gradients are for other inputs, miss grad_output or mask the wrong elements")
        found.append(Finding(
            cause="activation", layers=[], severity="critical", confidence=0.8,
            evidence=verdict,
            message=f"The custom autograd Function {name}'s backward disagrees with its own forward: {what}.",
            prescription=(f"Fix {name}.backward: return, for each input of forward in order, grad_output times the "
                          "derivative of the output with respect to that input (a surrogate for a step must be >= 0); "
                          "torch.autograd.gradcheck tests it on double inputs."),
            code=(f"torch.autograd.gradcheck({name}.apply, (x.double().requires_grad_(),))  # x: a small input of "
                  "yours"),
            score=5.0,
        ))
    return found
