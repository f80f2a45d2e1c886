"""A few training steps on a copy of the model, as the user set it up or with one cause removed (a remedy).

The measurement behind :mod:`.confirm`: a cause is confirmed when removing it changes what the first steps do.
Everything runs on deep copies (model, a fresh optimizer of the same class and settings at the scheduler's current
lr, the scheduler when it can be copied); the caller's model, optimizer, scheduler and the global RNG states are not
touched (the RNG is re-seeded per run so that every run sees the same dropout masks, then put back by the caller).

Remedies, one per cause that has a safe automatic one (:data:`REMEDIES`):

* ``lr``: every learning rate / 10 (also at each of the scheduler's later steps);
* ``init``: the init finding's layers re-initialised as :func:`.fix` does it (the scheme the layer's activation
  wants); without an init finding, every module's own ``reset_parameters()`` (the library's default init);
* ``recurrence``: recurrent weights (``weight_hh`` of ``nn.RNN``/``LSTM``/``GRU`` and cells) made orthogonal per gate;
* ``data``: floating-point inputs standardised per feature (channel for images; needs float inputs);
* ``regularization``: weight decay set to 0 (needs a param group with weight decay);
* ``numeric``: float64 compute (model and floating-point inputs) and every ``eps`` at least 1e-8.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .batch import loss_without_grad
from .findings import Diagnosis, Finding
from .layers import assign_tensor, parametrized_names
from .optcopy import copy_optimizer

__all__ = ["REMEDIES", "Trajectory", "reset_to_default", "short_run"]

#: the causes that have an automatic remedy, in the order they are tried
REMEDIES: tuple[str, ...] = ("lr", "init", "recurrence", "data", "regularization", "numeric")
#: the seed every short run starts from (dropout masks and re-initialisations alike)
RUN_SEED = 1234
#: a floor on optimizer ``eps`` under the numeric remedy
SAFE_EPS = 1e-8


@dataclass
class Trajectory:
    """The losses of one short run: ``losses[k]`` before step ``k`` (the last one after the final step).

    ``applicable``: False when the remedy has nothing to change on this model (then nothing was run);
    ``grad_norms[k]``: the total gradient norm at step ``k`` (before any clipping); ``error``: why the run could
    not be made (a model that cannot be copied, a closure that does not use the model it is given)."""

    remedy: str
    applicable: bool = True
    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    error: str = ""
    steps: int = 0

    @property
    def finite(self) -> bool:
        return bool(self.losses) and all(math.isfinite(v) for v in self.losses)


def _groups_hp(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g.get("lr", 0.0)) for g in opt.param_groups]


def _copy_all(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any,
              lrs: list[float] | None) -> tuple[nn.Module, torch.optim.Optimizer, Any]:
    memo: dict[int, Any] = {}
    m = copy.deepcopy(model, memo)
    for p in m.parameters():
        p.grad = None
    opt = copy_optimizer(optimizer, memo)
    opt.state = defaultdict(dict)
    if lrs is not None:
        for g, lr in zip(opt.param_groups, lrs, strict=True):
            g["lr"] = lr
    sched = None
    if scheduler is not None:
        try:
            sched = copy.deepcopy(scheduler, memo)
            if getattr(sched, "optimizer", None) is not opt:
                sched = None
        except Exception:  # a scheduler holding something that cannot be copied: the current lr stays
            sched = None
    return m, opt, sched


def _float_map(obj: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    if isinstance(obj, torch.Tensor):
        return fn(obj) if obj.is_floating_point() else obj
    if isinstance(obj, tuple):
        return tuple(_float_map(o, fn) for o in obj)
    if isinstance(obj, list):
        return [_float_map(o, fn) for o in obj]
    if isinstance(obj, dict):
        return {k: _float_map(v, fn) for k, v in obj.items()}
    return obj


def _standardise(x: torch.Tensor) -> torch.Tensor:
    if x.numel() < 2:
        return x
    dims = (0, 2, 3) if x.ndim == 4 else tuple(range(x.ndim - 1)) if x.ndim >= 2 else (0,)
    xf = x.detach().double()
    xf = torch.where(torch.isfinite(xf), xf, torch.zeros_like(xf))
    mean, std = xf.mean(dim=dims, keepdim=True), xf.std(dim=dims, keepdim=True)
    return ((xf - mean) / torch.where(std > 1e-12, std, torch.ones_like(std))).to(x.dtype)


def standardise_inputs(m: nn.Module) -> list[int]:
    """Standardise (per feature) the floating-point inputs of every call of ``m`` (the ``data`` remedy; the list
    counts the tensors changed)."""
    return _root_hook(m, _standardise)


def _root_hook(m: nn.Module, fn: Callable[[torch.Tensor], torch.Tensor]) -> list[int]:
    """Apply ``fn`` to the floating-point inputs of ``m``'s calls; the returned list counts the tensors changed."""
    seen = [0]

    def counted(x: torch.Tensor) -> torch.Tensor:
        seen[0] += 1
        return fn(x)

    def pre(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
        return _float_map(args, counted), _float_map(kwargs, counted)
    m.register_forward_pre_hook(pre, with_kwargs=True)
    return seen


def _remedy_init(m: nn.Module, findings: list[Finding]) -> bool:
    from .fix import fix

    strong = [f for f in findings if f.cause == "init" and f.severity != "info" and f.evidence.get("layers")]
    if strong:
        return bool(fix(m, Diagnosis(findings=strong), seed=RUN_SEED))
    return reset_to_default(m)


def reset_to_default(m: nn.Module) -> bool:
    """Re-initialise ``m`` in place by every parameter-holding module's own ``reset_parameters()`` (the library's
    default init); False when no module has one."""
    done = False
    for module in m.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset) and any(True for _ in module.parameters(recurse=False)):
            reset()
            done = True
        # a parametrized Linear/Conv (weight norm: MelGAN's convolutions) computes its weight, which reset_parameters
        # re-initialises only as a temporary: the library's default (kaiming_uniform_ with a = sqrt(5)) is written
        # through the parametrization
        if isinstance(module, nn.Linear | nn.modules.conv._ConvNd) and "weight" in parametrized_names(module):
            fresh = torch.empty_like(module.weight)
            nn.init.kaiming_uniform_(fresh, a=math.sqrt(5))
            done = assign_tensor(module, "weight", fresh) or done
    return done


def _remedy_recurrence(m: nn.Module, findings: list[Finding]) -> bool:
    from .fix import _orthogonal_blocks

    gen = torch.Generator().manual_seed(RUN_SEED)
    named = [f.layers for f in findings if f.cause == "recurrence"]
    listed = {n for layers in named for n in layers}
    done = False
    with torch.no_grad():
        for name, module in m.named_modules():
            rnn = isinstance(module, nn.RNNBase | nn.RNNCellBase)
            if not rnn and name not in listed:
                continue
            for pname, p in module.named_parameters(recurse=False):
                square = p.ndim == 2 and p.shape[0] == p.shape[1]
                if "weight_hh" in pname or (not rnn and square):
                    _orthogonal_blocks(module, p, gen)
                    done = True
    return done


def _apply(remedy: str, m: nn.Module, opt: torch.optim.Optimizer, findings: list[Finding],
           seen: list[list[int]]) -> bool:
    """Apply ``remedy`` to the copies; False when it has nothing to change here (``seen`` gets the input hook's
    counter: the data remedy needs floating-point inputs, known after the first forward)."""
    if remedy == "lr":
        return True
    if remedy == "init":
        return _remedy_init(m, findings)
    if remedy == "recurrence":
        return _remedy_recurrence(m, findings)
    if remedy == "data":
        seen.append(standardise_inputs(m))
        return True
    if remedy == "regularization":
        decays = [g for g in opt.param_groups if float(g.get("weight_decay", 0.0) or 0.0) > 0]
        for g in decays:
            g["weight_decay"] = 0.0
        return bool(decays)
    if remedy == "numeric":
        m.double()
        _root_hook(m, lambda x: x.double())
        for g in opt.param_groups:
            if isinstance(g.get("eps"), float) and g["eps"] < SAFE_EPS:
                g["eps"] = SAFE_EPS
        return True
    raise ValueError(f"unknown remedy {remedy!r}; expected one of {REMEDIES} or 'none'")


def short_run(model: nn.Module, run: Callable[[nn.Module], torch.Tensor], optimizer: torch.optim.Optimizer,
              steps: int, remedy: str = "none", *, lrs: list[float] | None = None, scheduler: Any = None,
              max_grad_norm: float | None = None, findings: list[Finding] | None = None) -> Trajectory:
    """``steps`` optimizer steps of copies of ``model``/``optimizer`` on ``run`` (the same batch each step), with
    ``remedy`` applied first (``"none"``: the user's own setting). Clips to ``max_grad_norm`` as the user does.
    Stops at the first non-finite loss. Re-seeds the global RNG (the caller restores it)."""
    out = Trajectory(remedy)
    try:
        m, opt, sched = _copy_all(model, optimizer, scheduler, lrs)
    except Exception as exc:
        out.error = f"the model or optimizer could not be copied ({type(exc).__name__}: {exc})"
        return out
    torch.manual_seed(RUN_SEED)
    seen: list[list[int]] = []
    if remedy != "none" and not _apply(remedy, m, opt, findings or [], seen):
        out.applicable = False
        return out
    scale = 0.1 if remedy == "lr" else 1.0
    torch.manual_seed(RUN_SEED)
    try:
        _loop(out, m, opt, sched, run, steps, scale, max_grad_norm, seen)
    except Exception as exc:  # e.g. a loss that does not take float64 outputs under the numeric remedy
        out.error = f"{type(exc).__name__}: {exc}"[:200]
    return out


def _loop(out: Trajectory, m: nn.Module, opt: torch.optim.Optimizer, sched: Any,
          run: Callable[[nn.Module], torch.Tensor], steps: int, scale: float, max_grad_norm: float | None,
          seen: list[list[int]]) -> None:
    params = [p for g in opt.param_groups for p in g["params"] if p.requires_grad]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(steps + 1):
            if k < steps:
                with torch.enable_grad():
                    loss = run(m)
            else:
                loss = loss_without_grad(run, m)
            if k == 0 and seen and seen[0][0] == 0:
                out.applicable = False
                return
            value = float(loss.detach().reshape(()).float())
            out.losses.append(value)
            if k == steps or not math.isfinite(value):
                break
            grads = torch.autograd.grad(loss.reshape(()), params, allow_unused=True)
            if all(g is None for g in grads):
                out.error = "the loss does not depend on the copy's parameters (a closure that ignores its model?)"
                return
            sq = sum(float(g.detach().double().pow(2).sum()) for g in grads if g is not None)
            norm = math.sqrt(sq) if math.isfinite(sq) else float("inf")
            out.grad_norms.append(norm)
            clip = 1.0
            if max_grad_norm is not None and math.isfinite(norm):
                clip = min(1.0, max_grad_norm / (norm + 1e-6))
            for p, g in zip(params, grads, strict=True):
                p.grad = None if g is None else (g * clip if clip < 1.0 else g)
            now = _groups_hp(opt)
            for group, lr in zip(opt.param_groups, now, strict=True):
                group["lr"] = lr * scale
            with torch.no_grad():
                type(opt).step(opt)
            for group, lr in zip(opt.param_groups, now, strict=True):
                group["lr"] = lr
            if sched is not None:
                sched.step()
            out.steps += 1
