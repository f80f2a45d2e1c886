"""What a forward/backward pass (or a short run on copies) may change on the user's model, saved and put back."""

from __future__ import annotations

import random

import numpy as np
import torch
from torch import nn

__all__ = ["StateSnapshot"]


class StateSnapshot:
    """Saves what a forward/backward pass may change, and puts it back exactly.

    Covers buffers (BatchNorm running stats and ``num_batches_tracked``), every submodule's ``training`` flag,
    each parameter's ``.grad`` reference (``None`` included) and the global RNG states (torch CPU, CUDA when
    initialised, numpy, Python ``random``), and the weights of ``nn.Embedding(max_norm=...)`` (their forward
    renormalises the looked-up rows in place).
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.buffers = [(b, b.detach().clone()) for b in model.buffers()]
        self.buffers += [(m.weight, m.weight.detach().clone()) for m in model.modules()
                         if isinstance(m, nn.Embedding) and m.max_norm is not None]
        self.modes = [(m, m.training) for m in model.modules()]
        self.grads = [(p, p.grad) for p in model.parameters()]
        self.cpu_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() \
            else None
        self.np_rng = np.random.get_state()
        self.py_rng = random.getstate()

    def restore(self) -> None:
        with torch.no_grad():
            for b, saved in self.buffers:
                if b.shape == saved.shape:
                    b.data.copy_(saved)  # .data: no version bump, so a forward built before check still backpropagates
        for m, mode in self.modes:
            m.training = mode
        for p, g in self.grads:
            p.grad = g
        torch.set_rng_state(self.cpu_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        np.random.set_state(self.np_rng)
        random.setstate(self.py_rng)
