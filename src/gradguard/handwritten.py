"""A guard without an optimizer, for loops that update the weights by hand.

Some loops have no torch optimizer (pytorch/examples' word_language_model: ``p.data.add_(p.grad, alpha=-lr)``).
``Guard(model, None)`` watches them all the same (statistics, detectors, diagnosis, flight records, the record)
and decides as usual; the loop applies its own update only when the guard says so::

    guard = gradguard.Guard(model, None, run_dir="runs/wlm")
    ...
    loss.backward()
    report = guard.observe(loss)          # measures, decides, clips the gradients in place
    if report.applied:
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)

What the guard does without an optimizer:

* a clip scales the gradients in place, before your update reads them;
* a skip sets every watched gradient to zero (it never sets them to None, which would crash ``p.grad`` in the
  update) and reports ``applied=False``: a plain SGD update of a zero gradient changes nothing, but weight decay or
  momentum written by hand would still move the weights, so update only ``if report.applied``;
* ``guard.step(loss)`` does the same as ``guard.observe(loss)`` (there is no optimizer step to take);
* update-to-weight ratios are measured across your update (the weights at one call against the next);
* rollback (``rollback_on_trouble(lr_factor=None)``) restores the weights alone: state your loop keeps (its own
  momentum, its learning rate) is yours to restore;
* policies that change the learning rate (``recover``, :func:`~gradguard.policy.backoff_lr`, a rollback with an
  ``lr_factor``) are refused with a :class:`~gradguard.ConfigError`: the guard cannot change the rate your loop
  uses. ``scaler`` and ``scheduler`` are refused too (both step through an optimizer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from .errors import ConfigError
from .mitigation.backoff import BackoffLR
from .mitigation.relearn import LowerLRWhenNotLearning
from .mitigation.rollback import RollbackOnTrouble, members

__all__ = ["NoOptimizer", "clear_skipped_grads", "without_optimizer"]

_INSTEAD = ("policy='safe' (skip and clip), 'monitor', or gradguard.chain(gradguard.safe(), "
            "gradguard.rollback_on_trouble(lr_factor=None)) (rollback of the weights alone)")


class NoOptimizer(torch.optim.Optimizer):
    """The guard's stand-in for a loop that updates the weights itself: one param group over the model's trainable
    parameters, with an unknown learning rate (``lr`` = NaN, recorded as such), no state, and a ``step()`` that
    does nothing."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = float("nan")) -> None:
        super().__init__(list(params), {"lr": lr})  # lr: accepted so a flight record can rebuild it

    def step(self, closure: Callable[[], float] | None = None) -> None:  # type: ignore[override]
        """Nothing: the loop applies its own update."""
        return None


def _changes_lr(member: Any) -> bool:
    if isinstance(member, (BackoffLR, LowerLRWhenNotLearning)):
        return True
    return isinstance(member, RollbackOnTrouble) and member.lr_factor is not None


def without_optimizer(model: nn.Module, policy: Any, scaler: Any, scheduler: Any, given: Any = None) -> NoOptimizer:
    """The stand-in optimizer of ``Guard(model, None)``, after refusing what cannot work without an optimizer.

    ``policy`` is the resolved policy; ``given`` what the user passed (a preset name), for the message.

    Raises:
        ConfigError: the policy changes the learning rate, a scaler or scheduler is given, or the model has no
            trainable parameter.
    """
    lr_members = [m for m in members(policy) if _changes_lr(m)]
    if lr_members:
        member = lr_members[0]
        what = type(member).__name__ + (f"(lr_factor={member.lr_factor})" if isinstance(member, RollbackOnTrouble)
                                        else "")
        raise ConfigError(
            "policy", given if isinstance(given, str) else type(policy).__name__,
            f"without an optimizer, a policy that does not change the learning rate: {_INSTEAD}",
            f"Its {what} lowers the learning rate through optimizer.param_groups, and a loop that updates the "
            "weights by hand (optimizer=None) keeps its own rate, which the guard cannot change. Pass your torch "
            "optimizer to use it.")
    if scaler is not None:
        raise ConfigError("scaler", type(scaler).__name__, "None when optimizer=None",
                          "A GradScaler unscales and steps through an optimizer; pass the optimizer.")
    if scheduler is not None:
        raise ConfigError("scheduler", type(scheduler).__name__, "None when optimizer=None",
                          "An LR scheduler steps an optimizer's rate; your loop keeps its own rate.")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ConfigError("model", type(model).__name__, "a model with at least one parameter that has "
                          "requires_grad=True", "Every parameter is frozen or the model has none, so there is "
                          "nothing to guard.")
    return NoOptimizer(params)


def clear_skipped_grads(params: list[torch.Tensor], present: tuple[int, ...], by_hand: bool) -> None:
    """Make a skipped step's gradients inert for the step that follows ``Guard.observe``.

    With an optimizer (``by_hand`` False) they are set to None: torch optimizers pass over parameters without a
    gradient, so neither the weights nor the optimizer state (moments, step counters) change. A loop that updates
    by hand reads ``p.grad`` itself, so there they are zeroed in place (NaN/Inf included): a plain SGD update of
    them is a no-op.
    """
    if by_hand:
        grads = [params[k].grad for k in present]
        if grads:
            torch._foreach_zero_(grads)  # type: ignore[arg-type]
        return
    for k in present:
        params[k].grad = None
