"""An optimizer that holds none of the model's parameters: no step it takes will change the model.

The slip: the optimizer is built, then the model is replaced — re-created, deep-copied, loaded whole with
``torch.load`` — and the loop trains the new object while the optimizer steps the old one's tensors (fresh31's
OctResNet: loss 2.300 -> 2.299 in 200 steps, its weights unchanged). The model's effective learning rate is 0, so
the cause is ``lr``. ``Guard`` refuses such a pair at construction (:func:`gradguard.inventory.build_inventory`);
``check`` said the model was healthy, because it steps the optimizer's own tensors on a copy and judges that step.

The same effect from one line: ``module.requires_grad = True`` meant as an unfreeze sets a plain attribute on the
Module and no parameter's flag (``requires_grad_`` is the method): the module's parameters stay frozen
(:func:`attribute_freeze_findings`; fresh70's Mean Teacher, its student GRU frozen for a warm-up and "unfrozen" so,
learns nothing through it).

And from another: ``self.w = nn.Parameter(torch.zeros(...)).to(torch.bfloat16)`` (or ``.cuda()``, ``* scale``)
stores the *result* of an operation on the Parameter, a plain tensor that ``model.parameters()`` does not list: no
optimizer holds it, and the Parameter it came from is gone (:func:`unregistered_weight_findings`; fresh68's DiffWave,
its zero-initialised output projection so written, never leaves 0 and nothing before it gets a gradient).

A model whose trainable parameters the optimizer holds only in part is left alone: two optimizers over one model
(a GAN's, a separate optimizer for the embeddings) are common and legitimate; so is an optimizer over float32 master
copies of a half-precision model's parameters (Megatron's mixed-precision optimizer, apex O2): tensors of another
dtype are not read as another model's.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .findings import Finding
from .graph import graph_nodes

__all__ = ["attribute_freeze_findings", "unowned_findings", "unregistered_weight_findings"]


def unowned_findings(model: nn.Module, optimizer: Any) -> list[Finding]:
    """A critical ``lr`` finding when ``optimizer`` holds none of ``model``'s trainable parameters; [] otherwise
    (and when there is no optimizer, or it has no ``param_groups``)."""
    groups = getattr(optimizer, "param_groups", None)
    if not groups:
        return []
    trainable = [p for p in model.parameters() if p.requires_grad]
    held = [p for g in groups for p in g.get("params", []) if isinstance(p, torch.Tensor)]
    if not trainable or not held:
        return []
    mine = {id(p) for p in trainable}
    if any(id(p) in mine for p in held):
        return []
    if {p.dtype for p in held} != {p.dtype for p in trainable}:
        return []  # master weights: float32 copies of a half-precision model's parameters (Megatron, apex O2)
    shapes = sorted(tuple(p.shape) for p in trainable)
    copy = shapes == sorted(tuple(p.shape) for p in held)
    where = ("tensors of exactly the model's shapes: it was built over another copy of this model (re-created, "
             "deep-copied or loaded whole with torch.load after the optimizer was made)" if copy else
             "tensors of another model")
    return [Finding(
        cause="lr", layers=[""], severity="critical", confidence=1.0,
        evidence={"model_trainable_parameters": len(trainable), "optimizer_parameters": len(held),
                  "held_of_the_model": 0, "same_shapes": copy, "effective_lr": 0.0},
        message=(f"The optimizer holds none of the model's {len(trainable)} trainable parameters; its "
                 f"{len(held)} are {where}. No optimizer step will change this model: its effective learning rate "
                 "is 0 and its loss will stay where it starts."),
        prescription=("Build the optimizer (and its scheduler) over the model you train, after the model is final: "
                      "after any re-creation, copy or torch.load of the whole model; or load a state_dict into the "
                      "existing model instead of replacing it."),
        code="optimizer = torch.optim.SGD(model.parameters(), lr=lr)  # over the model the loop trains",
        score=10.0,
    )]


def attribute_freeze_findings(model: nn.Module) -> list[Finding]:
    """A warning ``lr`` finding for each module carrying a plain ``requires_grad`` attribute set to True while
    parameters of its own stay frozen (``requires_grad=False``): the assignment changed no parameter; [] otherwise.
    No ``nn.Module`` defines such an attribute, so only an assignment puts it there."""
    out: list[Finding] = []
    for name, module in model.named_modules():
        flag = vars(module).get("requires_grad")
        if flag is not True:
            continue
        frozen = [n for n, p in module.named_parameters() if not p.requires_grad]
        if not frozen:
            continue
        where = name or type(module).__name__
        out.append(Finding(
            cause="lr", layers=[where], severity="warning", confidence=0.9,
            evidence={"module": where, "frozen_parameters": len(frozen), "examples": frozen[:4],
                      "module_attribute": "requires_grad = True (a plain attribute)",
                      "expected": "requires_grad_(True), which sets each parameter's flag"},
            message=(f"{where}.requires_grad was set to True, but that is a plain attribute on the Module: "
                     f"{len(frozen)} of its parameters still have requires_grad=False (e.g. {frozen[0]}), so no "
                     "gradient reaches them and no step moves them (their learning rate is in effect 0)."),
            prescription=f"Unfreeze with the method, which sets every parameter's flag: {where}.requires_grad_(True).",
            code=f"model.{name}.requires_grad_(True)" if name else "model.requires_grad_(True)",
            score=2.0))
    return out


def _reaches_registered(t: torch.Tensor, registered: set[int], budget: int = 256) -> bool:
    """Whether ``t``'s autograd graph reaches a parameter of the model: a weight computed from registered ones (the
    old ``weight_norm``/``spectral_norm`` hooks store ``module.weight`` so) trains through them."""
    read = 0
    for node in graph_nodes(t, budget):
        read += 1
        var = getattr(node, "variable", None)
        if isinstance(var, torch.Tensor) and id(var) in registered:
            return True
    return read >= budget  # too large to read: assume it does


def unregistered_weight_findings(model: nn.Module, called: set[str]) -> list[Finding]:
    """For the modules the forward ran (``called``): tensors held as plain attributes that require a gradient, were
    made by an operation (``grad_fn`` set, so not a leaf: ``nn.Parameter(...).to(dtype)``) and whose graph reaches no
    parameter of the model (one computed from registered parameters trains through them), which no optimizer holds.
    ``init`` (critical) when such a tensor of two or more dimensions is all zeros (it outputs 0 and will stay so),
    else ``lr`` (warning: it never trains); [] when there is none."""
    zero: list[str] = []
    other: list[str] = []
    registered = {id(p) for p in model.parameters()}
    for name, module in model.named_modules():
        if name not in called:
            continue
        for attr, value in vars(module).items():
            if not isinstance(value, torch.Tensor) or isinstance(value, nn.Parameter) or attr.startswith("_"):
                continue
            if not value.requires_grad or value.grad_fn is None or _reaches_registered(value, registered):
                continue
            where = f"{name}.{attr}" if name else attr
            (zero if value.dim() >= 2 and value.numel() > 0 and not bool(value.detach().any()) else other).append(where)
    if not zero and not other:
        return []
    both = zero + other
    return [Finding(
        cause="init" if zero else "lr", layers=sorted({n.rsplit(".", 1)[0] if "." in n else "" for n in both}),
        severity="critical" if zero else "warning", confidence=0.9,
        evidence={"unregistered_tensors": both, "zero_tensors": zero, "all_zero": bool(zero), "direction": -1,
                  "expected": "a weight registered as an nn.Parameter (the operation applied to its data first)"},
        message=(f"{', '.join(both[:4])}{', ...' if len(both) > 4 else ''}: a tensor made from a Parameter by an "
                 "operation (nn.Parameter(...).to(dtype), .cuda(), a product) and stored as a plain attribute, so "
                 "model.parameters() does not list it: no optimizer holds it and it never trains"
                 + (", and it is all zeros: everything it feeds reads 0 and gets no gradient." if zero else ".")),
        prescription=("Apply the operation to the data, then wrap: nn.Parameter(torch.zeros(...).to(torch.bfloat16)) "
                      "— or keep the Parameter in float32 and cast in forward."),
        code="self.w = nn.Parameter(torch.zeros(1, c, 1, dtype=torch.bfloat16))  # not nn.Parameter(...).to(...)",
        score=3.0 if zero else 2.0)]
