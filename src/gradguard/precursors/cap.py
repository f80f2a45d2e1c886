"""StableAdamW-style update capping for torch's Adam and AdamW, without changing the optimizer.

Wortsman et al. 2023 (arXiv 2304.13013) divide a tensor's Adam step by ``max(1, RMS)``, RMS the root mean square of
:math:`g^2/\\hat u` (see :mod:`gradguard.precursors.adam_state`): when the gradient suddenly outgrows Adam's second
moment the step is capped where it happens, instead of clipping every layer's gradient. Here it is per layer (the
module that owns the parameters, as everywhere in gradguard), through the optimizer's own hooks:

- before ``optimizer.step()`` the RMS of each layer is measured (one host read);
- after it, in the layers whose RMS exceeds ``max_rms``, the Adam part of the step,
  :math:`-\\eta\\,\\hat m_t/(\\sqrt{\\hat v_t}+\\epsilon)`, is recomputed from the updated state and scaled by
  ``1/RMS``; AdamW's decoupled weight decay is left as it was. Layers under the cap are not touched, so a healthy
  step costs the measurement only.

A step the guard skips never reaches ``optimizer.step()``, so it is never capped. Every cap is counted in
:attr:`StableUpdateCap.capped` (step index of the optimizer -> layer names).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from .adam_state import AdamStateMonitor

__all__ = ["StableUpdateCap"]


class StableUpdateCap:
    """Caps each layer's Adam/AdamW step at ``max_rms`` times what Adam's second moment expects.

    Args:
        model: the model (names the layers).
        optimizer: a ``torch.optim.Adam`` or ``torch.optim.AdamW`` without ``amsgrad``.
        max_rms: the RMS of g²/v above which a layer's step is divided by its RMS (default 1.0, as StableAdamW).

    Raises:
        ConfigError: another optimizer, or ``amsgrad=True``, or ``max_rms`` < 1.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, *, max_rms: float = 1.0) -> None:
        if type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW):
            raise ConfigError("optimizer", type(optimizer).__name__, "torch.optim.Adam or torch.optim.AdamW",
                              "StableUpdateCap recomputes Adam's step from its state.")
        if any(g.get("amsgrad") for g in optimizer.param_groups):
            raise ConfigError("amsgrad", True, "False", "StableUpdateCap does not support amsgrad.")
        if isinstance(max_rms, bool) or not isinstance(max_rms, (int, float)) or not max_rms >= 1.0:
            raise ConfigError("max_rms", max_rms, "a number >= 1 (the RMS of g^2/v when the gradient is as expected)")
        self.optimizer = optimizer
        self.max_rms = float(max_rms)
        self.monitor = AdamStateMonitor(model, optimizer)
        self.capped: dict[int, list[str]] = {}
        self._steps = 0
        self._pending: np.ndarray | None = None
        self._handles = [optimizer.register_step_pre_hook(self._pre), optimizer.register_step_post_hook(self._post)]

    def remove(self) -> None:
        """Stop capping (remove the optimizer hooks)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def _pre(self, _opt: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        rms = self.monitor.measure(self._steps).layer_rms
        self._pending = np.nan_to_num(rms, nan=0.0)

    @torch.no_grad()
    def _post(self, _opt: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        rms, self._pending = self._pending, None
        step = self._steps
        self._steps += 1
        if rms is None:
            return
        over = np.nonzero(rms > self.max_rms * (1.0 + 1e-6))[0]  # a first step's RMS of 1 may read 1 + 1e-7
        if over.size == 0:
            return
        mon = self.monitor
        layer_of = mon._layer_of.numpy()
        groups = self.optimizer.param_groups
        for k, p in enumerate(mon._params):
            if layer_of[k] not in over or p.grad is None:
                continue
            state = self.optimizer.state.get(p)
            if not state or "exp_avg_sq" not in state:
                continue
            group = groups[mon._group_of[k]]
            beta1, beta2 = (float(b) for b in group["betas"])
            lr = float(group["lr"])
            eps = float(group["eps"])
            t = state["step"]
            t = float(t.item()) if isinstance(t, torch.Tensor) else float(t)
            m_hat = state["exp_avg"].float() / (1.0 - beta1 ** t)
            denom = (state["exp_avg_sq"].float() / (1.0 - beta2 ** t)).sqrt_().add_(eps)
            adam_step = m_hat.div_(denom).mul_(-lr)  # what the optimizer added, less AdamW's decay
            keep = 1.0 / float(rms[layer_of[k]])
            p.add_(adam_step.mul_(keep - 1.0).to(p.dtype))
        self.capped[step] = [mon.layer_names[i] for i in over]
