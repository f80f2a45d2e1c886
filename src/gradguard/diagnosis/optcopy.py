"""A working copy of the user's optimizer, for the steps ``check`` takes on copies.

``copy.deepcopy`` of a ``torch.optim.Optimizer`` goes through its ``__getstate__``, which keeps only ``defaults``,
``state`` and ``param_groups``: every attribute a subclass sets itself (a hand-written decay's ``self.wd``, a flag)
is lost, and the copy's ``step()`` fails with an ``AttributeError`` — so a custom optimizer, the kind most likely to
hold a slip, used to skip the step checks. :func:`copy_optimizer` puts those attributes back, each deep-copied with
the same ``memo`` (so parameters map to the copies the caller chose), falling back to the original object when an
attribute cannot be copied.
"""

from __future__ import annotations

import copy
import inspect
from collections import OrderedDict
from typing import Any

import torch

__all__ = ["RADAM_ADAPTS_AT", "adapted_twin", "copy_optimizer", "needs_closure"]

#: per-instance hook registries of torch's Optimizer: a copy starts without the user's hooks
_HOOKS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks")


def copy_optimizer(optimizer: torch.optim.Optimizer, memo: dict[int, Any]) -> torch.optim.Optimizer:
    """``copy.deepcopy(optimizer, memo)`` with the attributes its pickling drops restored, and no step hooks."""
    opt = copy.deepcopy(optimizer, memo)
    for key, value in vars(optimizer).items():
        if key in vars(opt) or key in _HOOKS:
            continue
        try:
            setattr(opt, key, copy.deepcopy(value, memo))
        except Exception:  # an attribute that cannot be copied (a lock, a process handle): shared as it is
            setattr(opt, key, value)
    for attr in _HOOKS:
        if hasattr(opt, attr):
            setattr(opt, attr, OrderedDict())
    return opt


#: RAdam's steps are un-adapted (momentum SGD: ``lr * m``) until its variance estimate is tractable, which with the
#: default beta2 0.999 first holds at step 6; from then on each step is Adam's (times a rectification factor that
#: rises to 1)
RADAM_ADAPTS_AT = 6


def adapted_twin(opt: torch.optim.Optimizer) -> torch.optim.Optimizer:
    """For a ``torch.optim.RAdam`` copy that has not yet reached its adapted steps: an Adam (AdamW where its weight
    decay is decoupled) over the same parameters and hyper-parameters, whose step is the one RAdam takes for the rest
    of the run; the copy itself otherwise. A step judged from RAdam's first, un-adapted step is an SGD step at
    Adam's rate, tiny for small gradients: fresh72's TST at RAdam lr 1 (diverging at step 1) was told healthy."""
    if type(opt).__name__ != "RAdam":
        return opt
    steps = [float(st["step"]) for st in opt.state.values() if isinstance(st, dict) and "step" in st]
    if steps and max(steps) >= RADAM_ADAPTS_AT:
        return opt
    decoupled = any(bool(g.get("decoupled_weight_decay", False)) for g in opt.param_groups)
    groups = [{"params": g["params"], "lr": g["lr"], "betas": g["betas"], "eps": g["eps"],
               "weight_decay": g["weight_decay"]} for g in opt.param_groups]
    return (torch.optim.AdamW if decoupled else torch.optim.Adam)(groups)


def needs_closure(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer.step`` must be given a closure (``torch.optim.LBFGS``: ``step(closure)``, no default)."""
    try:
        param = inspect.signature(optimizer.step).parameters.get("closure")
    except (TypeError, ValueError):  # a builtin or wrapped step without a signature: assume it needs none
        return False
    return param is not None and param.default is inspect.Parameter.empty and param.kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
