"""Fused in-place operations on gradients that work for plain tensors and DTensors (FSDP2 shards) alike."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["clamp_grads_", "default_init_std", "in_transform", "mul_grads_", "real_float", "real_view"]


def default_init_std(fan_in: int) -> float:
    """The std of PyTorch's default init of a Linear/convolution weight (``kaiming_uniform_(a=sqrt(5))``) and of its
    bias: ``1 / sqrt(3 fan_in)`` (fan-in at least 1)."""
    return 1.0 / math.sqrt(3.0 * max(1, fan_in))


def in_transform() -> bool:
    """True inside a ``torch.func`` transform (``vmap``, ``grad``, ``jacrev``, ``hessian``...): its tensors are
    wrapped, and reading one on the host (``float(t)``, ``bool(t)``) raises. A model may call its own modules under
    one (a Lagrangian or Hamiltonian network differentiates its network in its forward): hooks that read values skip
    those calls."""
    return torch._C._functorch.peek_interpreter_stack() is not None


def real_view(t: torch.Tensor) -> torch.Tensor:
    """A complex tensor as its real view (same storage: the elements torch's optimizers update one by one), any
    other tensor as it is."""
    return torch.view_as_real(t) if t.is_complex() else t


def real_float(t: torch.Tensor) -> torch.Tensor:
    """``t`` as float32 on its real view (``.float()`` alone would drop a complex tensor's imaginary part)."""
    return real_view(t).float()


def _local(t: torch.Tensor) -> torch.Tensor:
    """The rank-local part of a tensor: the shard of a DTensor, the tensor itself otherwise."""
    to_local = getattr(t, "to_local", None)
    return to_local() if to_local is not None else t


def _is_dtensor(t: torch.Tensor) -> bool:
    return type(t) is not torch.Tensor and type(t) is not torch.nn.Parameter and callable(getattr(t, "to_local", None))


def clamp_grads_(grads: Sequence[torch.Tensor], value: float) -> None:
    """Clamp every gradient element to ``[-value, value]`` in fused calls (DTensor and plain ones apart)."""
    grads = list(grads)
    kinds = [_is_dtensor(g) for g in grads]
    for want in ((None,) if not any(kinds) or all(kinds) else (True, False)):
        part = grads if want is None else [g for g, kind in zip(grads, kinds) if kind is want]
        torch._foreach_clamp_min_(part, -value)
        torch._foreach_clamp_max_(part, value)


def mul_grads_(grads: Sequence[torch.Tensor], coef: float | Sequence[float]) -> None:
    """``grads[k] *= coef`` (or ``coef[k]``) in fused ``_foreach_mul_`` calls.

    DTensor and plain gradients (FSDP2 with ignored parameters) go in separate calls, since one call refuses to
    mix them; without DTensors it is exactly one ``torch._foreach_mul_``.
    """
    grads = list(grads)
    kinds = [_is_dtensor(g) for g in grads]
    if not any(kinds) or all(kinds):
        torch._foreach_mul_(grads, coef if isinstance(coef, (int, float)) else list(coef))
        return
    for want in (True, False):
        idx = [k for k, kind in enumerate(kinds) if kind is want]
        part = coef if isinstance(coef, (int, float)) else [coef[k] for k in idx]
        torch._foreach_mul_([grads[k] for k in idx], part)
