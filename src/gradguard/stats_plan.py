"""The collector's cached per-step layout: which gradients are present, and where each figure goes.

A :class:`Plan` is built once per set of present gradients (in a steady run, once) and holds every index vector
the per-step pass and its host reduction need, so that the per-step work does not loop over tensors in Python.
"""

from __future__ import annotations

import dataclasses
import numbers
import operator

import numpy as np
import torch

from .errors import ConfigError
from .inventory import ParamInventory

__all__ = ["SMALL_NUMEL", "Plan", "build_plan", "check_loss", "cpu_extrema", "dense_values"]

_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)

#: On CPU, gradients with at most this many elements get their max-abs from fused ``_foreach_abs`` +
#: ``_foreach_max`` calls (no Python call per tensor); larger ones from one ``aminmax`` each, since the fused pair
#: copies each tensor once and that copy grows costly (torch 2.13, 2 cores, 256 tensors: at 2,048 elements both
#: ~2 µs a tensor, at 4,096 aminmax 5 µs and the pair 43 µs).
SMALL_NUMEL = 1024


@dataclasses.dataclass(frozen=True)
class Plan:
    """Index vectors for one set of present gradients, cached (the set rarely changes)."""

    present: tuple[int, ...]  # inventory indices of the parameters whose .grad is set
    both_idx: torch.Tensor  # device: layer of each grad, then L + layer of each weight
    grad_idx: torch.Tensor  # device: layer of each grad
    factor: torch.Tensor | None  # device: per-norm sum-of-squares factors (distributed), or None
    has: np.ndarray  # host, read-only: per layer, whether some parameter has a gradient
    missing: np.ndarray  # host, read-only: ~has
    any_missing: bool
    sq_idx: np.ndarray  # host: like both_idx, for one bincount of squares into [grad L | weight L]
    ext_idx: np.ndarray  # host: layer of each extremum, in the packed order (small max-abs, big mins, big maxes)
    any_empty: bool  # some present gradient has no elements (aminmax refuses those)
    sparse: tuple[int, ...]  # positions (in the present list) of sparse COO gradients
    small: list[int] | None  # CPU: positions of the small gradients (fused max-abs), or None: all use aminmax
    big: list[int] | None  # CPU: positions of the others; None with small=None
    n_ext: int  # number of extrema figures packed


def build_plan(inventory: ParamInventory, present: tuple[int, ...], grads: list[torch.Tensor],
               device: torch.device, sq_factor: list[float] | None) -> Plan:
    """The :class:`Plan` for ``present`` (``grads``: their current gradients, to see their layouts)."""
    layer_of = inventory.layer_of
    L = inventory.num_layers
    g_idx = [layer_of[k] for k in present]
    both_list = g_idx + [L + layer_of[k] for k in range(len(layer_of))]
    both = torch.tensor(both_list, dtype=torch.long, device=device)
    has = np.zeros(L, dtype=bool)
    has[g_idx] = True
    missing = ~has
    has.flags.writeable = missing.flags.writeable = False  # shared by every StepStats of this plan
    factor = (None if sq_factor is None else
              torch.tensor([sq_factor[k] for k in present] + sq_factor, dtype=torch.float64, device=device))
    sparse = tuple(i for i, g in enumerate(grads) if g.layout == torch.sparse_coo)
    numels = [g.numel() if g.layout == torch.strided else -1 for g in grads]
    small: list[int] | None = None
    big: list[int] | None = None
    if device.type == "cpu":
        # complex gradients take the fused |g| max whatever their size (aminmax has no complex kernel; |z| is exact)
        fused = [0 < n <= SMALL_NUMEL or (n > 0 and g.is_complex()) for n, g in zip(numels, grads)]
        small = [i for i, f in enumerate(fused) if f]
        big = [i for i, f in enumerate(fused) if not f]
        ext = [g_idx[i] for i in small] + [g_idx[i] for i in big] * 2
    else:
        ext = g_idx
    return Plan(present=present, both_idx=both, grad_idx=both[: len(present)], factor=factor, has=has,
                missing=missing, any_missing=bool(missing.any()), sq_idx=np.asarray(both_list, dtype=np.intp),
                ext_idx=np.asarray(ext, dtype=np.intp), any_empty=any(n == 0 for n in numels), sparse=sparse,
                small=small, big=big, n_ext=len(ext))


def check_loss(loss: object) -> None:
    """Refuse a loss that is not a scalar: a one-element tensor, a real number or None (no host read)."""
    if loss is None or (isinstance(loss, (int, float)) and not isinstance(loss, bool)):
        return
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise ConfigError("loss", f"a tensor of shape {tuple(loss.shape)}",
                              "a scalar: a one-element tensor, a float or None",
                              "Reduce it first (e.g. loss.mean()), as backward() needs a scalar too.")
        if loss.is_complex():
            raise ConfigError("loss", f"a {loss.dtype} tensor", "a real-valued scalar tensor, a float or None")
        return
    if isinstance(loss, numbers.Real) and not isinstance(loss, bool):  # numpy scalars and other real numbers
        return
    raise ConfigError("loss", repr(loss)[:60], "a scalar: a one-element tensor, a float or None")


def dense_values(grads: list[torch.Tensor], sparse: tuple[int, ...] | None = None) -> list[torch.Tensor]:
    """Sparse gradients (``nn.Embedding(sparse=True)``) as their stored values: norms and extrema over the
    elements that are there (the others are zero). Dense gradients pass through untouched.

    ``sparse``: the positions of the sparse ones when known (a plan's), else every gradient's layout is looked at.
    """
    if sparse is None:
        sparse = tuple(i for i, g in enumerate(grads) if g.layout == torch.sparse_coo)
    if not sparse:
        return grads
    out = list(grads)
    for i in sparse:
        out[i] = grads[i].coalesce().values()
    return out


def cpu_extrema(grads: list[torch.Tensor], plan: Plan) -> list[torch.Tensor]:
    """CPU max-abs figures in the plan's order: the small gradients' max |g| (two fused calls), then the
    large ones' minima and maxima (one ``aminmax`` each; see :data:`~gradguard.stats_plan.SMALL_NUMEL`)."""
    small, big = plan.small, plan.big
    assert small is not None and big is not None
    out: list[torch.Tensor] = []
    if small:
        part = grads if not big else [grads[i] for i in small]
        out.extend(torch._foreach_max(torch._foreach_abs(part)))
    if big:
        part = grads if not small else [grads[i] for i in big]
        if plan.any_empty or plan.sparse:  # aminmax refuses empty tensors (a sparse gradient may hold none)
            part = [g if g.numel() else g.new_zeros(1) for g in part]
        mm = list(map(torch.aminmax, part))
        out.extend(map(_FIRST, mm))  # minima, then maxima
        out.extend(map(_SECOND, mm))
    return out
