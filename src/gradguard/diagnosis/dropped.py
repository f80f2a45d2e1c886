"""Activations computed and thrown away: ``h.relu()`` where ``h.relu_()`` (or ``h = h.relu()``) belongs (issue 12).

The out-of-place form returns a new tensor; a forward that does not keep it leaves ``h`` as it was, so the layer is
linear. While the probe's forward runs, :class:`DroppedActivations` (a ``TorchFunctionMode``) keeps the outputs of
element-wise activation calls (``torch.relu``, ``Tensor.relu``, ``F.gelu``, ``torch.sigmoid``, ...: not the in-place
forms, whose result is the tensor itself); the probe then reads which of them the loss's autograd graph does not
contain. ``activation`` (warning, ``SCORE``) when ``MIN_DROPPED`` or more activation results that require grad were
dropped and none of those computed was used (a model that computes a branch it does not use, such as a pooler
beside an MLM head, uses its other activations): fresh24's Deep Crossing with ``h.relu()`` in each residual unit
trained as a linear model and was found healthy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from .._tensors import in_transform
from .findings import Finding

__all__ = ["MIN_DROPPED", "SCORE", "DroppedActivations", "dropped_findings"]

#: activation results dropped before it counts
MIN_DROPPED = 2
#: ranking score: a definite slip above the weak signals it leaves
SCORE = 2.0

_FUNCS: set[Any] = {
    torch.relu, F.relu, torch.sigmoid, F.sigmoid, torch.tanh, F.tanh, F.gelu, F.silu, F.leaky_relu, F.elu, F.softplus,
    F.mish, F.hardtanh, F.relu6, F.selu, F.celu, torch.Tensor.relu, torch.Tensor.sigmoid, torch.Tensor.tanh,
}


class DroppedActivations(TorchFunctionMode):
    """Keeps ``(name, output)`` of every out-of-place element-wise activation call made while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.outputs: list[tuple[str, torch.Tensor]] = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if func in _FUNCS and isinstance(out, torch.Tensor) and out.requires_grad and out.grad_fn is not None and \
                not (args and out is args[0]) and not in_transform():
            # not an in-place form (inplace=True returns its input), nor a call under torch.func, whose graph is
            # the transform's own, never the loss's
            self.outputs.append((getattr(func, "__name__", str(func)), out))
        return out

    def dropped(self, graph: Iterable[Any]) -> tuple[list[str], int]:
        """The names of the kept outputs whose node is not in ``graph`` (the loss's nodes), and how many were kept."""
        nodes = {id(n) for n in graph}
        missing = [name for name, out in self.outputs if id(out.grad_fn) not in nodes]
        return missing, len(self.outputs)


def dropped_findings(probe: Any) -> list[Finding]:
    """``activation`` (warning) when every activation result the forward computed was dropped (see the module
    docstring)."""
    names, computed = getattr(probe, "dropped_activations", ([], 0))
    if len(names) < MIN_DROPPED or len(names) < computed:
        return []
    kinds = sorted(set(names))
    return [Finding(
        cause="activation", layers=[], severity="warning", confidence=0.8,
        evidence={"activation_results_dropped": len(names), "computed": computed, "functions": kinds,
                  "expected": "each activation's result used (x = x.relu(), or x.relu_() in place)"},
        message=(f"The forward computes {len(names)} activation(s) ({', '.join(kinds)}) and uses none of their "
                 "results: an out-of-place call such as h.relu() returns a new tensor and leaves h as it was, so "
                 "the layers around it compose to one linear map and the network cannot fit what is not linear."),
        prescription="Keep each activation's result (h = h.relu(), h = F.relu(h)) or use the in-place form h.relu_().",
        code="h = torch.relu(self.l0(x))  # not: h = self.l0(x); h.relu()",
        score=SCORE,
    )]
