"""Adam-family optimizer-state statistics: the second moment's under-estimate of the squared gradient.

For a parameter with gradient :math:`g_t` and Adam's second moment :math:`v`, the statistic of Wortsman et al. 2023
("Stable and low-precision training for large-scale vision-language models", arXiv 2304.13013) is

.. math:: \\mathrm{RMS}_t = \\sqrt{\\operatorname{mean}\\bigl(g_t^2 / \\max(\\hat u_t, \\epsilon^2)\\bigr)},\\quad
          \\hat u_t = \\frac{\\beta_2 v_{t-1} + (1-\\beta_2) g_t^2}{1-\\beta_2^{t}}

(the second moment the coming step will use, bias-corrected). It is 1 when the gradient is as large as the optimizer
expects, and rises above 1 when the gradient suddenly outgrows the optimizer's memory of it — which the paper finds
1-8 iterations before a loss spike; StableAdamW divides the step by ``max(1, RMS)``. Its ceiling is
:math:`1/\\sqrt{1-\\beta_2}` (4.5 at :math:`\\beta_2=0.95`, 31.6 at 0.999).

Measured per layer in a few ``torch._foreach_*`` passes over the gradients and the optimizer's ``exp_avg_sq``
(no copy of the state is kept), gathered into one vector; nothing of the optimizer changes. Must be called before
``optimizer.step()`` (it reads the state the step will update).
"""

from __future__ import annotations

import warnings
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .._tensors import real_view
from ..errors import ConfigError
from ..inventory import build_inventory

__all__ = ["AdamStateMonitor", "AdamStateStats", "supports_adam_state"]


#: optimizers already said to keep no ``exp_avg_sq`` (said once per optimizer, whoever measured it)
_SAID_NO_STATE: weakref.WeakSet[torch.optim.Optimizer] = weakref.WeakSet()


def supports_adam_state(optimizer: torch.optim.Optimizer) -> bool:
    """Whether every param group has Adam's ``betas`` and ``eps`` (Adam, AdamW, NAdam, RAdam) and no parameter's
    state, where there is one yet, lacks the second moment ``exp_avg_sq`` (Adamax keeps ``exp_inf``). An optimizer
    whose state appears only at its first step is checked again there (:meth:`AdamStateMonitor.measure`)."""
    return bool(optimizer.param_groups) and all(
        "betas" in g and "eps" in g and len(g["betas"]) == 2 for g in optimizer.param_groups) and not any(
        state and "exp_avg_sq" not in state for state in optimizer.state.values())


def _say_no_state(optimizer: torch.optim.Optimizer) -> None:
    if optimizer in _SAID_NO_STATE:
        return
    _SAID_NO_STATE.add(optimizer)
    warnings.warn(f"gradguard: {type(optimizer).__name__} keeps no Adam second moment (no 'exp_avg_sq' in its "
                  "state): no optimizer-state statistics, no precursor and no update cap for it", stacklevel=4)


def _state(state: dict[str, Any], key: str) -> torch.Tensor | None:
    """An Adam state tensor on its real view (None when the optimizer has not made it yet)."""
    t = state.get(key)
    return None if t is None else real_view(t)


@dataclass(frozen=True)
class AdamStateStats:
    """One step's optimizer-state statistics, per watched layer.

    Attributes:
        step: the guard's step index.
        layer_rms: RMS of g^2/u-hat per layer (dimensionless, 1 = as expected); NaN for a layer without gradient,
            and on every layer when measured with ``full=False``.
        layer_update_rms: RMS of Adam's coming normalised step m-hat/(sqrt(u-hat)+eps) per layer (dimensionless,
            about 1 early in training, multiply by lr for the step size); NaN without gradient or ``full=False``.
        layer_surprise: sqrt(sum(g^2) / sum(v-hat(t-1))) per layer: the gradient's size against what the second
            moment Adam had before this step expects (about 1 when stationary; 10 = a gradient 10x what Adam
            expects; totals, so elements whose second moment is ~0, such as dead units, do not dominate). Unlike
            ``layer_rms`` it has no ceiling (RMS <= sqrt((1-beta2^t)/(1-beta2)): 4.5 at beta2 0.95, about
            sqrt(t) early on), so one threshold fits every beta2 and step. NaN on the first step.
        layer_grad_sq: sum(g^2) per layer (the gradient's squared L2 norm, in squared gradient units).
        layer_expected_sq: sum(v-hat(t-1)) per layer: the squared norm Adam's second moment expects (same units;
            NaN on the first step). ``layer_surprise = sqrt(layer_grad_sq / layer_expected_sq)``.
        layer_step: Adam's step count per layer before this step (the ``step`` in the optimizer's state; 0 before
            its first step), read on the host as the measurement does; NaN for a layer without gradient.
        tensor_expected_sq: sum(v-hat(t-1)) per watched tensor (the monitor's ``layer_of`` order; NaN without
            gradient and on a first step), the totals ``layer_expected_sq`` adds up.
        tensor_step: Adam's step count per watched tensor before this step (NaN without gradient).
    """

    step: int
    layer_rms: np.ndarray
    layer_update_rms: np.ndarray
    layer_surprise: np.ndarray
    layer_grad_sq: np.ndarray
    layer_expected_sq: np.ndarray
    layer_step: np.ndarray = field(default_factory=lambda: np.empty(0))
    tensor_expected_sq: np.ndarray = field(default_factory=lambda: np.empty(0))
    tensor_step: np.ndarray = field(default_factory=lambda: np.empty(0))


class AdamStateMonitor:
    """Measures :class:`AdamStateStats` from an Adam-family optimizer's own state.

    Args:
        model: the model (to name the layers as the guard does).
        optimizer: an optimizer whose param groups have ``betas`` and ``eps`` and whose state keeps ``exp_avg`` and
            ``exp_avg_sq`` (torch's Adam, AdamW, NAdam, RAdam).

    Raises:
        ConfigError: the optimizer has no Adam-style groups (use :func:`supports_adam_state` first).
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        if not supports_adam_state(optimizer):
            raise ConfigError("optimizer", type(optimizer).__name__,
                              "an Adam-family optimizer (param groups with betas and eps)")
        self.optimizer = optimizer
        inv = build_inventory(model, optimizer)
        self.layer_names = inv.layer_names()
        self._params = inv.params
        self._layer_of = torch.tensor(inv.layer_of, dtype=torch.long)
        self._layer_of_list = list(inv.layer_of)
        self._group_of = inv.group_of
        self._numel = torch.tensor([p.numel() for p in inv.params], dtype=torch.float64)
        #: True once a parameter's state turned out to have no ``exp_avg_sq`` (said once): every measurement is NaN
        self.unsupported = False

    @property
    def num_layers(self) -> int:
        return len(self.layer_names)

    @torch.no_grad()
    def measure(self, step: int, *, full: bool = True, grad_sq: np.ndarray | None = None) -> AdamStateStats:
        """The statistics of the gradients now in ``.grad`` against the optimizer's state (one host read).

        Args:
            step: the step index to stamp the result with.
            full: also measure ``layer_rms`` and ``layer_update_rms`` (two scratch tensors the size of the
                gradients and about ten elementwise passes); ``False`` measures the surprise only: one read of the
                second moment (and of the gradients unless ``grad_sq`` is given). Default True.
            grad_sq: per layer sum(g^2) already known (the guard's ``layer_grad_norm ** 2``), so that a surprise-only
                measurement reads no gradient; ignored when ``full``.
        """
        L = self.num_layers
        groups = self.optimizer.param_groups
        # buckets of tensors sharing (betas, eps, step): one set of foreach passes each (usually one per group)
        buckets: dict[tuple[float, float, float, float], list[int]] = {}
        device_steps: dict[int, float] = {}  # a step kept on an accelerator (fused/capturable): one read per group
        layer_step = np.full(L, np.nan)
        tensor_step = np.full(len(self._params), np.nan)
        layer_of_all = self._layer_of_list
        for k, p in enumerate(self._params):
            if p.grad is None or self.unsupported:
                continue
            g_index = self._group_of[k]
            group = groups[g_index]
            state = self.optimizer.state.get(p)
            if state and "exp_avg_sq" not in state:  # stepped, and no second moment: not Adam's state
                self.unsupported = True
                _say_no_state(self.optimizer)
                buckets.clear()
                layer_step[:] = np.nan
                tensor_step[:] = np.nan
                continue
            t = state.get("step", 0) if state else 0
            if isinstance(t, torch.Tensor):
                if t.device.type == "cpu":  # torch's default: reading it is no device sync
                    t = float(t)
                else:
                    if g_index not in device_steps:
                        device_steps[g_index] = float(t)
                    t = device_steps[g_index]
            layer_step[layer_of_all[k]] = t
            tensor_step[k] = t
            beta1, beta2 = (float(b) for b in group["betas"])
            buckets.setdefault((beta1, beta2, float(group["eps"]), float(t) + 1.0), []).append(k)
        if not buckets:
            nan = np.full(L, np.nan)
            return AdamStateStats(step, nan, nan.copy(), nan.copy(), nan.copy(), nan.copy(), layer_step,
                                  np.full(len(self._params), np.nan), tensor_step)
        use_known = not full and grad_sq is not None and len(grad_sq) == L
        order: list[int] = []
        sums: list[torch.Tensor] = []
        for (beta1, beta2, eps, t), ks in buckets.items():
            order.extend(ks)
            sums.append(self._bucket(ks, beta1, beta2, eps, t, full, not use_known))
        host = torch.cat(sums, dim=1).cpu().numpy()  # the one host read: 4 x (tensors with a gradient)
        idx = np.asarray(order)
        layer_of = self._layer_of.numpy()[idx]
        n = np.bincount(layer_of, weights=self._numel.numpy()[idx], minlength=L)
        g_sq = (np.array(grad_sq, dtype=np.float64) if use_known
                else np.bincount(layer_of, weights=host[2], minlength=L))
        v_sq = np.bincount(layer_of, weights=host[3], minlength=L)
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = np.sqrt(np.bincount(layer_of, weights=host[0], minlength=L) / n)
            urms = np.sqrt(np.bincount(layer_of, weights=host[1], minlength=L) / n)
            surprise = np.sqrt(g_sq / v_sq)
        for a in (rms, urms, surprise, g_sq, v_sq):
            a[n == 0] = np.nan
        tensor_v = np.full(len(self._params), np.nan)
        tensor_v[idx] = host[3]
        return AdamStateStats(step, rms, urms, surprise, g_sq, v_sq, layer_step, tensor_v, tensor_step)

    def _bucket(self, ks: list[int], beta1: float, beta2: float, eps: float, t: float, full: bool,
                read_grads: bool) -> torch.Tensor:
        """Per tensor: sums of g^2/u-hat, of the squared normalised step (NaN unless ``full``), of g^2 (NaN unless
        ``full`` or ``read_grads``) and of v-hat(t-1) (NaN on the first step), as a (4, len(ks)) float64 tensor.

        Scratch: none for the surprise (norms of the state and the gradients); two tensors the size of the
        gradients when ``full``, updated in place (no copy of g^2, m or v is kept)."""
        params = [self._params[k] for k in ks]
        grads = [p.grad.detach() for p in params]  # type: ignore[union-attr]
        grads = [real_view(g.to_dense() if g.is_sparse else g) for g in grads]
        states = [self.optimizer.state.get(p, {}) for p in params]
        vs = [_state(s, "exp_avg_sq") for s in states]  # complex: torch's Adam works on the real view too
        ms = [_state(s, "exp_avg") for s in states]
        first = any(v is None for v in vs) or any(m is None for m in ms) or t <= 1.0
        dev = grads[0].device
        nan = torch.full((len(grads),), float("nan"), dtype=torch.float64, device=dev)
        g_sum = nan
        if full or read_grads:
            g_sum = torch.stack(torch._foreach_norm(grads, 2, dtype=torch.float32)).double() ** 2
        if first:  # the first step: no second moment yet
            v_sum = nan
        else:  # the energy Adam expected before this gradient (totals, so dead elements do not dominate)
            v_sum = torch.stack(torch._foreach_norm(vs, 1, dtype=torch.float32)).double()  # type: ignore[arg-type]
            v_sum = v_sum / (1.0 - beta2 ** (t - 1.0))
        if not full:
            return torch.stack([nan, nan, g_sum, v_sum])
        gf = [g.float() for g in grads]  # no copy for float32 gradients
        if first:  # u-hat = g^2 and m-hat = g exactly
            root = list(torch._foreach_abs(gf))
            mt = [g.clone() for g in gf]
        else:
            root = list(torch._foreach_mul([v.float() for v in vs], beta2))  # type: ignore[union-attr]
            torch._foreach_addcmul_(root, gf, gf, value=1.0 - beta2)
            torch._foreach_mul_(root, 1.0 / (1.0 - beta2 ** t))
            torch._foreach_sqrt_(root)  # sqrt(u-hat)
            mt = list(torch._foreach_mul([m.float() for m in ms], beta1))  # type: ignore[union-attr]
            torch._foreach_add_(mt, gf, alpha=1.0 - beta1)
            torch._foreach_mul_(mt, 1.0 / (1.0 - beta1 ** t))  # m-hat
        torch._foreach_add_(root, eps)
        torch._foreach_div_(mt, root)  # Adam's normalised step, in place
        step_sq = torch.stack(torch._foreach_norm(mt, 2)).double() ** 2
        torch._foreach_sub_(root, eps)
        torch._foreach_clamp_min_(root, eps)  # max(sqrt(u-hat), eps)
        torch._foreach_reciprocal_(root)
        torch._foreach_mul_(root, gf)  # g / max(sqrt(u-hat), eps), in place
        ratio_sum = torch.stack(torch._foreach_norm(root, 2)).double() ** 2
        return torch.stack([ratio_sum, step_sq, g_sum, v_sum])
