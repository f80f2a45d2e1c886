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

__all__ = ["copy_optimizer", "needs_closure"]

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


def needs_closure(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer.step`` must be given a closure (``torch.optim.LBFGS``: ``step(closure)``, no default)."""
    try:
        param = inspect.signature(optimizer.step).parameters.get("closure")
    except (TypeError, ValueError):  # a builtin or wrapped step without a signature: assume it needs none
        return False
    return param is not None and param.default is inspect.Parameter.empty and param.kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
