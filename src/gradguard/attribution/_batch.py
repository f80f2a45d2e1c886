"""Batches as nested tensors: their size, slicing them by sample, and the loss of a batch on a model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

__all__ = ["BatchLoss", "batch_size", "default_batch_loss", "select"]

#: ``batch_loss(model, batch) -> scalar loss`` (mean over the batch's samples).
BatchLoss = Callable[[nn.Module, Any], torch.Tensor]


def batch_size(batch: Any) -> int | None:
    """The length of dim 0 shared by every tensor of ``batch`` (tuples, lists, dicts), or None if there is none."""
    sizes: set[int] = set()

    def walk(obj: Any) -> None:
        if isinstance(obj, torch.Tensor):
            if obj.dim() > 0:
                sizes.add(int(obj.shape[0]))
        elif isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                walk(v)

    walk(batch)
    return sizes.pop() if len(sizes) == 1 else None


def select(batch: Any, index: Sequence[int]) -> Any:
    """The samples ``index`` of ``batch`` (every tensor indexed along dim 0; other leaves kept as they are)."""
    idx = list(index)
    if isinstance(batch, torch.Tensor):
        if batch.dim() == 0:
            return batch
        return batch[torch.as_tensor(idx, dtype=torch.long, device=batch.device)]
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(select(v, idx) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(select(v, idx) for v in batch)
    if isinstance(batch, dict):
        return {k: select(v, idx) for k, v in batch.items()}
    return batch


def default_batch_loss(loss_fn: Callable[..., torch.Tensor]) -> BatchLoss:
    """``batch_loss`` for a batch ``(inputs, targets)``: ``loss_fn(model(inputs), targets)``."""

    def batch_loss(model: nn.Module, batch: Any) -> torch.Tensor:
        inputs, targets = batch
        return loss_fn(model(inputs), targets)

    return batch_loss
